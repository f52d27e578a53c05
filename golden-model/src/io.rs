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
