//! Request body decoding: the compression announced by `Content-Type` (or sniffed when the
//! type says nothing), inflated with a hard cap so that a zip bomb costs at most the cap,
//! and the answer compressed back the same way.

use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::{Read, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Zlib,
    Gzip,
    Deflate,
    Identity,
}

/// What the request's `Content-Type` says about the format of the decoded body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Json,
    Xml,
    Guess,
}

#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The body, or what it inflates to, is larger than the configured limit.
    TooLarge,
    /// Not a valid stream of the announced compression.
    Corrupt,
    /// Brotli: GLPI without the PHP extension answers 415.
    Unsupported,
}

/// Read the `Content-Type` as GLPI's `handleContentType()` does.
pub fn classify(content_type: &str) -> Result<(Encoding, Hint), DecodeError> {
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    Ok(match ct.as_str() {
        "application/x-compress-zlib" | "application/x-zlib" => (Encoding::Zlib, Hint::Guess),
        "application/x-compress-gzip" | "application/x-gzip" => (Encoding::Gzip, Hint::Guess),
        "application/x-compress-deflate" | "application/x-deflate" => (Encoding::Deflate, Hint::Guess),
        "application/x-br" | "application/x-compress-br" => return Err(DecodeError::Unsupported),
        "application/xml" | "text/xml" => (Encoding::Identity, Hint::Xml),
        "application/json" => (Encoding::Identity, Hint::Json),
        _ => (Encoding::Identity, Hint::Guess),
    })
}

/// Compression recognised from the first bytes, for bodies whose type says nothing.
pub fn sniff(body: &[u8]) -> Encoding {
    match body {
        [0x1f, 0x8b, ..] => Encoding::Gzip,
        // zlib: deflate method, and the header checksum GLPI's agents always produce.
        [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 => Encoding::Zlib,
        _ => Encoding::Identity,
    }
}

/// Inflate `body` into at most `max` bytes; never allocates more than that.
pub fn inflate(enc: Encoding, body: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    if body.len() > max {
        return Err(DecodeError::TooLarge);
    }
    let reader: Box<dyn Read + '_> = match enc {
        Encoding::Identity => return Ok(body.to_vec()),
        Encoding::Zlib => Box::new(ZlibDecoder::new(body)),
        Encoding::Gzip => Box::new(GzDecoder::new(body)),
        Encoding::Deflate => Box::new(DeflateDecoder::new(body)),
    };
    read_capped(reader, max)
}

fn read_capped(mut reader: impl Read, max: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out: Vec<u8> = Vec::with_capacity(max.min(64 * 1024));
    let mut chunk = [0u8; 32 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return if out.is_empty() { Err(DecodeError::Corrupt) } else { Ok(out) },
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(DecodeError::Corrupt),
        };
        if out.len() + n > max {
            return Err(DecodeError::TooLarge);
        }
        if out.capacity() < out.len() + n {
            // Grow geometrically but never past the cap.
            let target = (out.capacity() * 2).max(out.len() + n).min(max);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Compress an answer like the request was. zlib uses the default level: FusionInventory
/// 2.6 only recognises a stream starting with `78 9C`.
pub fn compress(enc: Encoding, body: &[u8]) -> Vec<u8> {
    fn finish<W: Write>(mut w: W, body: &[u8], done: impl FnOnce(W) -> std::io::Result<Vec<u8>>) -> Vec<u8> {
        // Writing to a Vec cannot fail.
        let _ = w.write_all(body);
        done(w).unwrap_or_default()
    }
    match enc {
        Encoding::Identity => body.to_vec(),
        Encoding::Zlib => finish(ZlibEncoder::new(Vec::new(), Compression::default()), body, |w| w.finish()),
        Encoding::Gzip => finish(GzEncoder::new(Vec::new(), Compression::default()), body, |w| w.finish()),
        Encoding::Deflate => finish(DeflateEncoder::new(Vec::new(), Compression::default()), body, |w| w.finish()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_sniffs() {
        for enc in [Encoding::Zlib, Encoding::Gzip, Encoding::Deflate] {
            let z = compress(enc, b"<REQUEST/>");
            assert_eq!(inflate(enc, &z, 100).unwrap(), b"<REQUEST/>");
        }
        let z = compress(Encoding::Zlib, b"x");
        assert_eq!(&z[..2], &[0x78, 0x9c], "FusionInventory needs the default level");
        assert_eq!(sniff(&z), Encoding::Zlib);
        assert_eq!(sniff(&compress(Encoding::Gzip, b"x")), Encoding::Gzip);
        assert_eq!(sniff(b"{\"a\":1}"), Encoding::Identity);
        assert_eq!(sniff(b"<?xml"), Encoding::Identity);
    }

    #[test]
    fn bombs_and_garbage_are_refused() {
        let bomb = compress(Encoding::Zlib, &vec![0u8; 4 * 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024);
        assert_eq!(inflate(Encoding::Zlib, &bomb, 1024 * 1024), Err(DecodeError::TooLarge));
        assert_eq!(inflate(Encoding::Zlib, b"{\"not\":\"zlib\"}", 1024), Err(DecodeError::Corrupt));
        let z = compress(Encoding::Zlib, &[b'a'; 10_000]);
        assert!(inflate(Encoding::Zlib, &z[..z.len() / 2], 100_000).is_err() || z.len() < 4);
        assert_eq!(classify("application/x-compress-br"), Err(DecodeError::Unsupported));
        assert_eq!(classify("Application/JSON; charset=utf-8"), Ok((Encoding::Identity, Hint::Json)));
    }
}
