//! The event stream (FORMAT.md §12.6): per frame the events as channel numbers, in a bin's
//! last frame an event flag and the power code of every channel, packed MSB first into
//! 32-bit words, in segments of whole bins, with the latency rule. The [`Encoder`] takes
//! samples one at a time, as the core does; [`decode_segment`] reads a segment (or the
//! received prefix of one) back.

use super::detect::{step, ChannelState, FrameInfo, StepOut};
use super::params::{power_interval, EventParams};
use crate::Error;

/// A threshold crossing: the frame (stream sample index `frame · C + channel`) and channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    pub frame: u64,
    pub channel: u32,
}

/// The power code of a bin that was not received.
pub const LOST_CODE: u16 = u16::MAX;

/// What the stream says: events in time order and the power codes of whole bins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub channels: u32,
    /// Frames covered (the stream's length).
    pub frames: u64,
    /// Events in stream order (frame, then channel).
    pub events: Vec<Event>,
    /// Power codes, bins × channels, row-major (bin `b`, channel `c` at `b·C + c`);
    /// [`LOST_CODE`] where a bin was not received. Only whole bins have codes.
    pub power: Vec<u16>,
}

impl Features {
    /// Whole power bins.
    pub fn bins(&self) -> usize {
        self.power.len() / (self.channels.max(1) as usize)
    }

    /// The power code of bin `b`, channel `c`.
    pub fn code(&self, b: usize, c: usize) -> u16 {
        self.power[b * self.channels as usize + c]
    }

    /// The power matrix in grid steps (mean `|y|` of each bin through the filter's gain),
    /// bins × channels, row-major; `NaN` where lost.
    pub fn power_values(&self, p: &EventParams) -> Vec<f64> {
        self.power
            .iter()
            .map(|&c| {
                if c == LOST_CODE {
                    f64::NAN
                } else {
                    p.power_value(c as u32)
                }
            })
            .collect()
    }

    /// Event frames of one channel (for per-channel comparisons).
    pub fn channel_events(&self, c: u32) -> Vec<u64> {
        self.events
            .iter()
            .filter(|e| e.channel == c)
            .map(|e| e.frame)
            .collect()
    }
}

/// One segment: whole bins (the last segment of a finite stream may be shorter), coded
/// from a word boundary, ending on one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub first_frame: u64,
    pub frames: u32,
    pub words: Vec<u32>,
}

/// MSB-first bit packer into 32-bit words.
#[derive(Clone, Debug, Default)]
struct Packer {
    words: Vec<u32>,
    acc: u64,
    nb: u32,
}

impl Packer {
    /// Appends the low `len` bits of `v` (`len < 32`); true when a word was completed.
    fn put(&mut self, v: u32, len: u32) -> bool {
        debug_assert!(len < 32 && (len == 0 || v >> len == 0));
        self.acc = (self.acc << len) | v as u64;
        self.nb += len;
        if self.nb >= 32 {
            self.nb -= 32;
            self.words.push((self.acc >> self.nb) as u32);
            self.acc &= (1u64 << self.nb) - 1;
            return true;
        }
        false
    }

    /// Emits the partial word, zero-padded.
    fn pad(&mut self) {
        if self.nb > 0 {
            self.words.push((self.acc << (32 - self.nb)) as u32);
            self.acc = 0;
            self.nb = 0;
        }
    }
}

/// The code of one sample (§12.6): `(bits, length)`.
pub fn sample_code(p: &EventParams, info: &FrameInfo, channel: u32, out: &StepOut) -> (u32, u32) {
    if let Some(pc) = out.power_code {
        let pb = p.power_code_bits();
        ((out.event as u32) << pb | pc, 1 + pb)
    } else {
        let cb = p.channel_bits();
        let (mut code, mut len) = if out.event {
            (1 << cb | channel, 1 + cb)
        } else {
            (0, 0)
        };
        if channel + 1 == p.channels {
            code <<= 1;
            len += 1;
        }
        debug_assert!(!info.power);
        (code, len)
    }
}

/// The latency rule's state: the frame of the oldest event whose sample code has bits in
/// the partial word.
#[derive(Clone, Copy, Debug, Default)]
struct Pending(Option<u64>);

impl Pending {
    /// After a sample code of frame `t` was written: `emitted` when it completed a word,
    /// `partial` when bits are left in the partial word.
    fn code(&mut self, t: u64, event: bool, emitted: bool, partial: bool) {
        if emitted {
            self.0 = None;
        }
        if event && partial && self.0.is_none() {
            self.0 = Some(t);
        }
    }

    /// At the end of frame `t`: true when the partial word must be padded out now.
    fn due(&self, p: &EventParams, t: u64) -> bool {
        match self.0 {
            Some(tp) => p.latency_frames > 0 && t - tp >= p.latency_frames as u64 - 1,
            None => false,
        }
    }
}

/// The streaming encoder: samples in stream order (frame by frame, channel by channel).
#[derive(Clone, Debug)]
pub struct Encoder {
    p: EventParams,
    states: Vec<ChannelState>,
    frame: u64,
    channel: u32,
    info: FrameInfo,
    packer: Packer,
    seg_first: u64,
    pending: Pending,
    done: Vec<Segment>,
    features: Features,
    bits_closed: u64,
}

impl Encoder {
    pub fn new(p: &EventParams) -> Result<Self, Error> {
        p.validate()?;
        Ok(Encoder {
            p: *p,
            states: vec![ChannelState::default(); p.channels as usize],
            frame: 0,
            channel: 0,
            info: FrameInfo::of(p, 0),
            packer: Packer::default(),
            seg_first: 0,
            pending: Pending::default(),
            done: Vec::new(),
            bits_closed: 0,
            features: Features {
                channels: p.channels,
                ..Default::default()
            },
        })
    }

    /// One sample (a 10-bit grid index) of the next channel.
    pub fn push(&mut self, x: u32) -> Result<StepOut, Error> {
        if x >= 1024 {
            return Err(Error::BadParams(format!(
                "event mode: sample {x} of frame {} channel {} is not a 10-bit grid index",
                self.frame, self.channel
            )));
        }
        let p = self.p;
        let c = self.channel;
        let out = step(&p, &mut self.states[c as usize], x, &self.info);
        if out.event {
            self.features.events.push(Event {
                frame: self.frame,
                channel: c,
            });
        }
        if let Some(pc) = out.power_code {
            self.features.power.push(pc as u16);
        }
        let (code, len) = sample_code(&p, &self.info, c, &out);
        if len > 0 {
            let emitted = self.packer.put(code, len);
            self.pending
                .code(self.frame, out.event, emitted, self.packer.nb > 0);
        }
        if c + 1 == p.channels {
            self.end_frame();
        } else {
            self.channel += 1;
        }
        Ok(out)
    }

    fn end_frame(&mut self) {
        let t = self.frame;
        if self.pending.due(&self.p, t) {
            self.packer.pad();
            self.pending = Pending::default();
        }
        self.frame += 1;
        self.channel = 0;
        if self.info.segment_end {
            self.close();
        }
        self.info = FrameInfo::of(&self.p, self.frame);
        self.features.frames = self.frame;
    }

    /// Pads and closes the current segment (if it has frames).
    fn close(&mut self) {
        if self.frame == self.seg_first {
            return;
        }
        self.packer.pad();
        self.pending = Pending::default();
        self.bits_closed += self.packer.words.len() as u64 * 32;
        self.done.push(Segment {
            first_frame: self.seg_first,
            frames: (self.frame - self.seg_first) as u32,
            words: std::mem::take(&mut self.packer.words),
        });
        self.seg_first = self.frame;
    }

    /// Bits written so far, padding included (closed segments and the partial word).
    pub fn bits(&self) -> u64 {
        self.bits_closed + self.packer.words.len() as u64 * 32 + self.packer.nb as u64
    }

    /// Segments completed so far (taken out).
    pub fn take_segments(&mut self) -> Vec<Segment> {
        std::mem::take(&mut self.done)
    }

    /// Ends the stream: the partial segment is padded and closed. Refuses to end inside a
    /// frame (the stream is whole frames).
    pub fn finish(mut self) -> Result<(Vec<Segment>, Features), Error> {
        if self.channel != 0 {
            return Err(Error::BadParams(format!(
                "event mode: the stream ends inside frame {} (after channel {} of {})",
                self.frame,
                self.channel - 1,
                self.p.channels
            )));
        }
        self.close();
        Ok((self.done, self.features))
    }
}

/// Encodes interleaved samples (whole frames): the segments and what they carry.
pub fn encode(p: &EventParams, samples: &[u32]) -> Result<(Vec<Segment>, Features), Error> {
    let mut e = Encoder::new(p)?;
    if !samples.len().is_multiple_of(p.channels as usize) {
        return Err(Error::BadParams(format!(
            "event mode: {} samples are not whole frames of {} channels",
            samples.len(),
            p.channels
        )));
    }
    for &x in samples {
        e.push(x)?;
    }
    e.finish()
}

/// The segments' words one after the other, and the index of each segment's last word (the
/// words the core marks with `out_last`).
pub fn stream_words(segments: &[Segment]) -> (Vec<u32>, Vec<usize>) {
    let mut words = Vec::new();
    let mut ends = Vec::new();
    for s in segments {
        words.extend_from_slice(&s.words);
        ends.push(words.len() - 1);
    }
    (words, ends)
}

/// Reads bits MSB first from words; `None` past the end.
struct Reader<'a> {
    words: &'a [u32],
    pos: u64,
}

impl Reader<'_> {
    fn take(&mut self, len: u32) -> Option<u32> {
        if len == 0 {
            return Some(0);
        }
        if self.pos + len as u64 > self.words.len() as u64 * 32 {
            return None;
        }
        let mut v = 0u32;
        for _ in 0..len {
            let w = self.words[(self.pos / 32) as usize];
            v = v << 1 | (w >> (31 - self.pos % 32)) & 1;
            self.pos += 1;
        }
        Some(v)
    }

    /// Skips to the next word boundary; the skipped bits must be zero.
    fn align(&mut self) -> Result<(), Error> {
        let r = (32 - self.pos % 32) % 32;
        match self.take(r as u32) {
            Some(0) => Ok(()),
            Some(_) => Err(Error::Corrupt(
                "event stream: padding bits are not zero".into(),
            )),
            None => Err(Error::Corrupt("event stream: truncated padding".into())),
        }
    }
}

/// What a segment (or the received prefix of one) delivered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodedSegment {
    /// Whole frames decoded (all of them for a complete segment).
    pub frames: u32,
    pub events: Vec<Event>,
    /// `(bin, channel, code)` of the bins that ended in the decoded frames.
    pub power: Vec<(u64, u32, u16)>,
}

/// Decodes segment `first_frame … first_frame + frames − 1` from `words`. With `complete`
/// the words must be exactly the segment (every frame, zero padding, nothing left over);
/// otherwise they are a received prefix and the frames decoded before the data ran out are
/// returned (a frame is delivered only when all of its codes were read).
pub fn decode_segment(
    p: &EventParams,
    first_frame: u64,
    frames: u32,
    words: &[u32],
    complete: bool,
) -> Result<DecodedSegment, Error> {
    p.validate()?;
    let cb = p.channel_bits();
    let pb = p.power_code_bits();
    let m = p.power_mantissa as u32;
    let c_all = p.channels;
    let mut r = Reader { words, pos: 0 };
    let mut out = DecodedSegment::default();
    let mut pending = Pending::default();
    let short = || Error::Corrupt("event stream: the segment ends inside a frame".into());
    // writes a sample code spanning [start, r.pos)
    let code_at = |pending: &mut Pending, t: u64, start: u64, end: u64, event: bool| {
        let emitted = end / 32 > start / 32;
        pending.code(t, event, emitted, !end.is_multiple_of(32));
    };
    for f in 0..frames {
        let t = first_frame + f as u64;
        let info = FrameInfo::of(p, t);
        let mut events = Vec::new();
        let mut power = Vec::new();
        let mut ok = true;
        if info.power {
            for c in 0..c_all {
                let start = r.pos;
                let (Some(flag), Some(code)) = (r.take(1), r.take(pb)) else {
                    ok = false;
                    break;
                };
                let (lo, _) = power_interval(code, m);
                if code >> m > 16 - m || lo > u16::MAX as u32 {
                    return Err(Error::Corrupt(format!(
                        "event stream: power code {code} of frame {t} channel {c} is not a \
                         code of a 16-bit sum"
                    )));
                }
                code_at(&mut pending, t, start, r.pos, flag == 1);
                if flag == 1 {
                    events.push(Event {
                        frame: t,
                        channel: c,
                    });
                }
                power.push((t / p.bin_frames as u64, c, code as u16));
            }
        } else {
            let mut next = 0u32; // the lowest channel the next event may have
            loop {
                let start = r.pos;
                let Some(b) = r.take(1) else {
                    ok = false;
                    break;
                };
                if b == 0 {
                    // the last channel's code: no event
                    code_at(&mut pending, t, start, r.pos, false);
                    break;
                }
                let Some(ch) = r.take(cb) else {
                    ok = false;
                    break;
                };
                if ch >= c_all || ch < next {
                    return Err(Error::Corrupt(format!(
                        "event stream: event on channel {ch} in frame {t} (channels 0..{c_all}, \
                         in increasing order)"
                    )));
                }
                events.push(Event {
                    frame: t,
                    channel: ch,
                });
                next = ch + 1;
                if ch + 1 == c_all {
                    match r.take(1) {
                        Some(0) => {}
                        Some(_) => {
                            return Err(Error::Corrupt(format!(
                                "event stream: frame {t} does not end after its last channel"
                            )))
                        }
                        None => {
                            ok = false;
                            break;
                        }
                    }
                    code_at(&mut pending, t, start, r.pos, true);
                    break;
                }
                code_at(&mut pending, t, start, r.pos, true);
            }
        }
        if !ok {
            if complete {
                return Err(short());
            }
            return Ok(out);
        }
        // the frame is whole: deliver it, then the latency rule
        out.frames += 1;
        out.events.extend(events);
        out.power.extend(power);
        if pending.due(p, t) {
            if !r.pos.is_multiple_of(32) {
                match r.align() {
                    Ok(()) => {}
                    Err(_) if !complete && r.pos + (32 - r.pos % 32) > words.len() as u64 * 32 => {
                        return Ok(out)
                    }
                    Err(e) => return Err(e),
                }
            }
            pending = Pending::default();
        }
    }
    if complete {
        r.align()?;
        if r.pos != words.len() as u64 * 32 {
            return Err(Error::Corrupt(format!(
                "event stream: {} words left over after the segment's last frame",
                words.len() as u64 - r.pos / 32
            )));
        }
    }
    Ok(out)
}

/// Decodes complete segments of a stream of `frames` frames (as [`encode`] made them, in
/// order) into the features.
pub fn decode(p: &EventParams, frames: u64, segments: &[Segment]) -> Result<Features, Error> {
    p.validate()?;
    let r = p.segment_frames() as u64;
    let expected = frames.div_ceil(r);
    if segments.len() as u64 != expected {
        return Err(Error::Corrupt(format!(
            "event stream: {} segments for {frames} frames (expected {expected})",
            segments.len()
        )));
    }
    let mut f = Features {
        channels: p.channels,
        frames,
        ..Default::default()
    };
    for (k, s) in segments.iter().enumerate() {
        let first = k as u64 * r;
        let n = (frames - first).min(r) as u32;
        if s.first_frame != first || s.frames != n {
            return Err(Error::Corrupt(format!(
                "event stream: segment {k} covers frames {}..+{}, expected {first}..+{n}",
                s.first_frame, s.frames
            )));
        }
        let d = decode_segment(p, first, n, &s.words, true)?;
        f.events.extend(d.events);
        f.power.extend(d.power.iter().map(|&(_, _, c)| c));
    }
    Ok(f)
}
