// Testbench for the board logic's emitted Verilog (module `top` = neurice_bsp::BoardSystem),
// built with `verilator --binary` by bsp/tests/board_verilog_sim.rs.
//
// A model of the FTDI's UART, clocked by the core clock: it sends the bytes of
// +in=<file> ($readmemh, one byte per line, +bytes_in=<n> of them) back to back on uart_rx,
// 8N1 at DIV core clocks per bit, and receives the board's uart_tx the same way, writing each
// byte (hex, one per line) to +out=<file>. It stops after +bytes_out=<n> received bytes and
// two more byte times (so that surplus bytes show), or at +max_cycles=<n>; the last line of
// the output is `end <cycles> <framing errors> <leds>`.
module board_tb;
    parameter integer DIV = 8;

    reg clock = 1'b0;
    reg uart_rx = 1'b1;
    wire uart_tx;
    wire [7:0] leds;

    top dut (
        .clock(clock),
        .reset_btn_n(1'b1),
        .pll_locked(1'b1),
        .uart_rx(uart_rx),
        .uart_tx(uart_tx),
        .leds(leds)
    );

    always #1 clock = ~clock;

    reg [7:0] mem [0:2097151];
    integer bytes_in, bytes_out, max_cycles, fd;
    reg [1023:0] in_file, out_file;
    initial begin
        if (!$value$plusargs("in=%s", in_file)) $fatal(1, "missing +in=");
        if (!$value$plusargs("out=%s", out_file)) $fatal(1, "missing +out=");
        if (!$value$plusargs("bytes_in=%d", bytes_in)) $fatal(1, "missing +bytes_in=");
        if (!$value$plusargs("bytes_out=%d", bytes_out)) $fatal(1, "missing +bytes_out=");
        if (!$value$plusargs("max_cycles=%d", max_cycles)) $fatal(1, "missing +max_cycles=");
        if (bytes_in > 2097152) $fatal(1, "at most 2097152 input bytes");
        if (bytes_in > 0) $readmemh(in_file, mem, 0, bytes_in - 1);
        fd = $fopen(out_file, "w");
        if (fd == 0) $fatal(1, "cannot open the output file");
    end

    // ---- host transmitter ----
    integer tx_idx = 0, tx_bit = 0, tx_cnt = 0;
    reg tx_busy = 1'b0;
    reg [9:0] tx_frame = 10'h3ff;
    always @(posedge clock) begin
        if (!tx_busy) begin
            if (tx_idx < bytes_in) begin
                tx_frame <= {1'b1, mem[tx_idx], 1'b0};
                tx_idx <= tx_idx + 1;
                tx_busy <= 1'b1;
                tx_bit <= 0;
                tx_cnt <= 0;
                uart_rx <= 1'b0;
            end
        end else if (tx_cnt == DIV - 1) begin
            tx_cnt <= 0;
            if (tx_bit == 9) begin
                tx_busy <= 1'b0;
                uart_rx <= 1'b1;
            end else begin
                tx_bit <= tx_bit + 1;
                uart_rx <= tx_frame[tx_bit + 1];
            end
        end else begin
            tx_cnt <= tx_cnt + 1;
        end
    end

    // ---- host receiver ----
    integer cycles = 0, received = 0, framing = 0, rx_cnt = 0, rx_bit = 0, tail = -1;
    reg rx_busy = 1'b0;
    reg [7:0] rx_byte = 8'h00;
    always @(posedge clock) begin
        cycles <= cycles + 1;
        if (!rx_busy) begin
            if (!uart_tx) begin
                rx_busy <= 1'b1;
                rx_cnt <= 0;
                rx_bit <= -1; // start bit; sampled in its middle
            end
        end else if ((rx_bit == -1 && rx_cnt == DIV / 2 - 1) || (rx_bit != -1 && rx_cnt == DIV - 1)) begin
            rx_cnt <= 0;
            if (rx_bit == -1) begin
                if (uart_tx) rx_busy <= 1'b0; // a glitch
                else rx_bit <= 0;
            end else if (rx_bit < 8) begin
                rx_byte[rx_bit] <= uart_tx;
                rx_bit <= rx_bit + 1;
            end else begin
                rx_busy <= 1'b0;
                if (uart_tx) begin
                    $fwrite(fd, "%02x\n", rx_byte);
                    received <= received + 1;
                end else begin
                    framing <= framing + 1;
                end
            end
        end else begin
            rx_cnt <= rx_cnt + 1;
        end
        if (tail < 0 && received >= bytes_out && tx_idx >= bytes_in && !tx_busy)
            tail <= 20 * DIV;
        if (tail > 0) tail <= tail - 1;
        if (tail == 0 || cycles >= max_cycles) begin
            $fwrite(fd, "end %0d %0d %02x\n", cycles, framing, leds);
            $fclose(fd);
            $finish;
        end
    end
endmodule
