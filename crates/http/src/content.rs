//! The test server's files: text generated from the file's name, 64-byte lines each stamped
//! with its number, so any byte range can be made without the rest and a reader can check a
//! download without asking the server.

/// Length of every line, newline included.
pub const LINE: usize = 64;
const TAG: usize = 16;
const FILL: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";

/// Writes the bytes of file `name` from `offset` on into `out` (as many as it holds).
pub fn fill(name: &str, offset: u64, out: &mut [u8]) {
    let mut line = [0u8; LINE];
    let mut pos = offset;
    let mut written = 0;
    let mut current = u64::MAX;
    while written < out.len() {
        let number = pos / LINE as u64;
        if number != current {
            make_line(name, number, &mut line);
            current = number;
        }
        let from = (pos % LINE as u64) as usize;
        let n = (LINE - from).min(out.len() - written);
        out[written..written + n].copy_from_slice(&line[from..from + n]);
        written += n;
        pos += n as u64;
    }
}

/// The whole of file `name` of `size` bytes.
pub fn bytes(name: &str, size: usize) -> Vec<u8> {
    let mut out = vec![0; size];
    fill(name, 0, &mut out);
    out
}

/// The CRC-32 of file `name` of `size` bytes, computed a block at a time.
pub fn crc32(name: &str, size: u64) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    let mut block = vec![0u8; 64 * 1024];
    let mut done = 0;
    while done < size {
        let n = (size - done).min(block.len() as u64) as usize;
        fill(name, done, &mut block[..n]);
        hasher.update(&block[..n]);
        done += n as u64;
    }
    hasher.finalize()
}

/// `<name, 16 wide> <line number, 10 wide> <letters>\n`
fn make_line(name: &str, number: u64, line: &mut [u8; LINE]) {
    line.fill(b' ');
    let tag = name.as_bytes();
    let n = tag.len().min(TAG);
    line[..n].copy_from_slice(&tag[..n]);
    let mut digits = number;
    for i in (TAG + 1..TAG + 11).rev() {
        line[i] = b'0' + (digits % 10) as u8;
        digits /= 10;
    }
    let shift = (number % 26) as usize;
    for (i, b) in line[TAG + 12..LINE - 1].iter_mut().enumerate() {
        *b = FILL[(i + shift) % 26];
    }
    line[LINE - 1] = b'\n';
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_range_matches_the_whole() {
        let whole = bytes("report.txt", 1000);
        for (from, len) in [(0, 1000), (1, 63), (63, 2), (64, 64), (100, 777), (999, 1)] {
            let mut part = vec![0; len];
            fill("report.txt", from as u64, &mut part);
            assert_eq!(part, whole[from..from + len]);
        }
        assert_eq!(&whole[..27], b"report.txt       0000000000");
        assert_eq!(whole[63], b'\n');
        assert_eq!(crc32("report.txt", 1000), crc32fast::hash(&whole));
        assert_ne!(crc32("report.txt", 1000), crc32("other.txt", 1000));
        assert_eq!(crc32("x", 0), crc32fast::hash(b""));
    }
}
