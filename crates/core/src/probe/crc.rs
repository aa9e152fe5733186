//! Table-driven CRCs computed most-significant bit first, as FLAC (CRC-8, CRC-16) and Ogg
//! (CRC-32) define them. The reflected CRC-32 of PNG and ZIP is `crc32fast`'s.

/// The 256-entry lookup table of a `width`-bit (8 to 32) MSB-first CRC with polynomial `poly`.
pub(crate) const fn msb_table(poly: u32, width: u32) -> [u32; 256] {
    let top = 1u32 << (width - 1);
    let mask = if width == 32 {
        u32::MAX
    } else {
        (1u32 << width) - 1
    };
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << (width - 8);
        let mut k = 0;
        while k < 8 {
            c = if c & top != 0 { (c << 1) ^ poly } else { c << 1 } & mask;
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_values() {
        // The standard "123456789" check values: CRC-8 (0x07) 0xF4, CRC-16/BUYPASS 0xFEE8,
        // CRC-32/MPEG-2 style without final xor and init 0 (Ogg) 0x89A1897F.
        let run = |table: &[u32; 256], width: u32| {
            b"123456789".iter().fold(0u32, |c, &x| {
                let mask = if width == 32 {
                    u32::MAX
                } else {
                    (1u32 << width) - 1
                };
                ((c << 8) ^ table[((c >> (width - 8)) as u8 ^ x) as usize]) & mask
            })
        };
        assert_eq!(run(&msb_table(0x07, 8), 8), 0xF4);
        assert_eq!(run(&msb_table(0x8005, 16), 16), 0xFEE8);
        assert_eq!(run(&msb_table(0x04C1_1DB7, 32), 32), 0x89A1_897F);
    }
}
