//! Reading and writing helpers shared by the container's layouts.

use std::io::Read;

use crate::Error;

/// An I/O error of reading the input or writing the output, naming which.
pub(crate) fn io_err(what: &str, e: std::io::Error) -> Error {
    Error::Io(format!("{what}: {e}"))
}

/// Reads exactly `buf.len()` bytes unless the input ends first; returns how many were read.
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads on until `buf` holds `n` bytes or the input ends (never more than `n`).
pub(crate) fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, n: u64) -> Result<(), Error> {
    let have = buf.len() as u64;
    if n > have {
        r.take(n - have)
            .read_to_end(buf)
            .map_err(|e| io_err("cannot read the input", e))?;
    }
    Ok(())
}

/// [`fill`] for an `n` that the input's known size bounds (a file's, from its metadata): the
/// buffer is sized once and read into directly, in one read where the system gives it all,
/// where [`fill`]'s reading to the end grows the buffer and reads in steps of a few
/// kilobytes (issue 29: a 200 kB recording took 20 reads). It holds fewer than `n` bytes
/// only if the input ended first.
pub(crate) fn fill_known(r: &mut dyn Read, buf: &mut Vec<u8>, n: usize) -> Result<(), Error> {
    let have = buf.len();
    if n > have {
        buf.resize(n, 0);
        let got = read_full(r, &mut buf[have..]);
        buf.truncate(have + *got.as_ref().unwrap_or(&0));
        got.map_err(|e| io_err("cannot read the input", e))?;
    }
    Ok(())
}
