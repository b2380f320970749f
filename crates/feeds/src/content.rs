//! What a file holds before any format reads it: binary data (compressed, an image, a
//! workbook), or nothing at all. Either way no reader should try it, since it would report a
//! bad CSV header or bad JSON for what is really the wrong file.

use std::io::Read;
use std::path::Path;

/// How many of a file's first bytes tell whether it is binary.
pub(crate) const HEAD_BYTES: u64 = 8 * 1024;

/// Binary formats people hand over by mistake, by their first bytes, with what to call them.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x1f\x8b", "gzip?"),
    (
        b"PK\x03\x04",
        "zip? an .xlsx workbook is one: save it as CSV",
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an .xls workbook? save it as CSV",
    ),
    (b"BZh", "bzip2?"),
    (b"\xfd7zXZ\x00", "xz?"),
    (b"\x28\xb5\x2f\xfd", "zstd?"),
    (b"7z\xbc\xaf\x27\x1c", "7-zip?"),
    (b"\x89PNG", "PNG?"),
    (b"\xff\xd8\xff", "JPEG?"),
    (b"GIF8", "GIF?"),
    (b"%PDF-", "PDF?"),
    (b"SQLite format 3\x00", "an SQLite database?"),
    // UTF-16 is text, but not text any reader here reads; its ASCII has NUL bytes.
    (b"\xff\xfe", "UTF-16 text? save it as UTF-8"),
    (b"\xfe\xff", "UTF-16 text? save it as UTF-8"),
];

/// What `head` (a file's first bytes) looks like when it is not text: a guess at the format,
/// or `None` for text. Text in a legacy 8-bit encoding (Latin-1 from an old spreadsheet) is
/// still text: its few bad bytes are reported per line by the readers.
pub(crate) fn binary_kind(head: &[u8]) -> Option<&'static str> {
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(kind);
    }
    if head.contains(&0) {
        return Some("NUL bytes");
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if !text.is_empty() && !starts_utf8(text) {
        return Some("not UTF-8 text");
    }
    // Control characters and bytes that are not UTF-8: a few are a legacy encoding, many are
    // binary data.
    let mut odd = 0usize;
    for chunk in text.utf8_chunks() {
        odd += chunk.invalid().len();
        odd += chunk
            .valid()
            .bytes()
            .filter(|b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
            .count();
    }
    (odd * 10 > text.len()).then_some("not text")
}

/// Whether `bytes` starts with a whole UTF-8 character.
fn starts_utf8(bytes: &[u8]) -> bool {
    bytes
        .utf8_chunks()
        .next()
        .is_some_and(|chunk| !chunk.valid().is_empty())
}

/// A file's first [`HEAD_BYTES`] bytes.
pub(crate) fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(HEAD_BYTES)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// Whether a file holds nothing but white space (and perhaps a byte-order mark). Reads only as
/// far as the first other character, so a real feed costs one small read.
pub(crate) fn is_blank(path: &Path) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut first = true;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut chunk = &buf[..n];
        if first {
            chunk = chunk.strip_prefix(b"\xef\xbb\xbf").unwrap_or(chunk);
            first = false;
        }
        if !chunk.iter().all(u8::is_ascii_whitespace) {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compressed_images_and_nul_bytes_as_binary() {
        assert_eq!(binary_kind(b"\x1f\x8b\x08\x00rest"), Some("gzip?"));
        assert_eq!(binary_kind(b"\x89PNG\r\n\x1a\n"), Some("PNG?"));
        assert_eq!(
            binary_kind(b"PK\x03\x04xl/workbook.xml"),
            Some("zip? an .xlsx workbook is one: save it as CSV")
        );
        assert_eq!(binary_kind(b"{\"type\": \"need\"\x00}"), Some("NUL bytes"));
        assert_eq!(
            binary_kind(b"\xff\xfeT\x00"),
            Some("UTF-16 text? save it as UTF-8")
        );
        assert_eq!(
            binary_kind(b"\xc3\x28 starts badly"),
            Some("not UTF-8 text")
        );
        let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8 | 1).collect();
        assert!(binary_kind(&noise).is_some());
    }

    #[test]
    fn text_in_any_encoding_is_not_binary() {
        assert_eq!(binary_kind(b""), None);
        assert_eq!(binary_kind(b"\xef\xbb\xbfTittel;Beskrivelse\n"), None);
        assert_eq!(binary_kind("{\"title\": \"Språk\"}\n".as_bytes()), None);
        // Latin-1 from an old spreadsheet: text, with its bad bytes reported per line.
        assert_eq!(binary_kind(b"Omr\xe5de;Tittel;Beskrivelse\nA;B;C\n"), None);
        // A head cut inside a character is still text.
        assert_eq!(binary_kind(&"Språk".as_bytes()[..3]), None);
    }

    #[test]
    fn blank_files_hold_only_white_space() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        for (content, blank) in [
            (&b""[..], true),
            (b"\n \r\n\t", true),
            (b"\xef\xbb\xbf\n", true),
            (b"\n\n{}", false),
        ] {
            std::fs::write(&path, content).unwrap();
            assert_eq!(is_blank(&path).unwrap(), blank, "{content:?}");
        }
    }
}
