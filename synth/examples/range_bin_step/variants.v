// One context-coded bin of FORMAT.md §7.5 per clock: bound = (range>>12)*p, select, renormalise (<=1 byte shift here; 1 bin can need at most 1..3 shifts)
module bin1(input clk, input [11:0] p, input b, output reg [31:0] range_q, output reg [32:0] low_q);
  reg [11:0] p_q; reg b_q;
  wire [31:0] bound = (range_q >> 12) * p_q;
  wire [31:0] r1 = b_q ? range_q - bound : bound;
  wire [32:0] l1 = b_q ? low_q + bound : low_q;
  wire sh = r1 < 32'h01000000;
  always @(posedge clk) begin
    p_q <= p; b_q <= b;
    range_q <= sh ? {r1[23:0], 8'h00} : r1;
    low_q <= sh ? {1'b0, l1[23:0], 8'h00} : l1;
  end
endmodule
module bin2(input clk, input [11:0] p0, input [11:0] p1, input b0, input b1, output reg [31:0] range_q, output reg [32:0] low_q);
  reg [11:0] p0_q, p1_q; reg b0_q, b1_q;
  wire [31:0] bound0 = (range_q >> 12) * p0_q;
  wire [31:0] r1 = b0_q ? range_q - bound0 : bound0;
  wire [32:0] l1 = b0_q ? low_q + bound0 : low_q;
  wire sh0 = r1 < 32'h01000000;
  wire [31:0] r1n = sh0 ? {r1[23:0], 8'h00} : r1;
  wire [32:0] l1n = sh0 ? {1'b0, l1[23:0], 8'h00} : l1;
  wire [31:0] bound1 = (r1n >> 12) * p1_q;
  wire [31:0] r2 = b1_q ? r1n - bound1 : bound1;
  wire [32:0] l2 = b1_q ? l1n + bound1 : l1n;
  wire sh1 = r2 < 32'h01000000;
  always @(posedge clk) begin
    p0_q <= p0; b0_q <= b0; p1_q <= p1; b1_q <= b1;
    range_q <= sh1 ? {r2[23:0], 8'h00} : r2;
    low_q <= sh1 ? {1'b0, l2[23:0], 8'h00} : l2;
  end
endmodule
// Two logical range coders time-multiplexed in a 2-stage pipeline (C-slow): stage 1 the
// multiply (range>>12)*p, stage 2 select + renormalise; each coder gets one bin every 2 clocks.
module bin2slow(input clk, input [11:0] p, input b, output reg [31:0] range_q, output reg [32:0] low_q);
  reg [11:0] p_q; reg b_q, b_s1;
  reg [31:0] range_s1, bound_s1; reg [32:0] low_s1;
  // stage 1: multiply
  always @(posedge clk) begin
    p_q <= p; b_q <= b;
    bound_s1 <= (range_q >> 12) * p_q; range_s1 <= range_q; low_s1 <= low_q; b_s1 <= b_q;
  end
  wire [31:0] r1 = b_s1 ? range_s1 - bound_s1 : bound_s1;
  wire [32:0] l1 = b_s1 ? low_s1 + bound_s1 : low_s1;
  wire sh = r1 < 32'h01000000;
  always @(posedge clk) begin
    range_q <= sh ? {r1[23:0], 8'h00} : r1;
    low_q <= sh ? {1'b0, l1[23:0], 8'h00} : l1;
  end
endmodule
module bin3slow(input clk, input [11:0] p, input b, output reg [31:0] range_q, output reg [32:0] low_q);
  reg [11:0] p_q; reg b_q, b_s1, b_s2;
  reg [31:0] range_s1, range_s2, lo_s1, hi_s1, bound_s2; reg [32:0] low_s1, low_s2;
  always @(posedge clk) begin
    p_q <= p; b_q <= b;
    lo_s1 <= (range_q >> 12) * p_q[5:0]; hi_s1 <= (range_q >> 12) * p_q[11:6];
    range_s1 <= range_q; low_s1 <= low_q; b_s1 <= b_q;
    bound_s2 <= lo_s1 + (hi_s1 << 6); range_s2 <= range_s1; low_s2 <= low_s1; b_s2 <= b_s1;
  end
  wire [31:0] r1 = b_s2 ? range_s2 - bound_s2 : bound_s2;
  wire [32:0] l1 = b_s2 ? low_s2 + bound_s2 : low_s2;
  wire sh = r1 < 32'h01000000;
  always @(posedge clk) begin
    range_q <= sh ? {r1[23:0], 8'h00} : r1;
    low_q <= sh ? {1'b0, l1[23:0], 8'h00} : l1;
  end
endmodule
