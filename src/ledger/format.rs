//! Number formatting shared by the ledgers' tables.

use core::fmt::{self, Display, Formatter, Write as _};

/// A `u64` printed with thousands separators (`1,572,864`), honouring width
/// and alignment flags.
pub(crate) struct Grouped(pub(crate) u64);

impl Display for Grouped {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // u64::MAX has 20 digits and 6 separators.
        let mut buf = [0u8; 26];
        let mut at = buf.len();
        let mut rest = self.0;
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                at -= 1;
                buf[at] = b',';
            }
            at -= 1;
            buf[at] = b'0' + (rest % 10) as u8;
            digits += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        // Only ASCII digits and commas were written.
        f.pad(core::str::from_utf8(&buf[at..]).unwrap_or("?"))
    }
}

/// `rows × cols`, or just `cols` for a vector, padded as a whole.
pub(crate) struct Dims(pub(crate) Option<usize>, pub(crate) usize);

impl Display for Dims {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut text = heapless::String::<48>::new();
        match self.0 {
            Some(rows) => write!(text, "{rows} × {}", self.1)?,
            None => write!(text, "{}", self.1)?,
        }
        f.pad(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::Grouped;
    use core::fmt::Write as _;

    fn grouped(value: u64) -> heapless::String<32> {
        let mut out = heapless::String::new();
        write!(out, "{}", Grouped(value)).unwrap();
        out
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_572_864), "1,572,864");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }
}
