//! Checksums a profile's fields can carry: every CRC of the standard
//! catalogue, by its catalogue name, and the simple byte sums.
//!
//! The `crc` crate's algorithms carry no names, so this table lists each
//! constant once and derives the name from it: `CRC_16_MODBUS` is
//! `CRC-16/MODBUS`, `CRC_16_ISO_IEC_14443_3_A` is `CRC-16/ISO-IEC-14443-3-A`.

use crc::{Algorithm, Crc};

/// A checksum algorithm, ready to run.
pub(crate) enum Checksum {
    /// A CRC of at most 8 bits.
    Crc8(Box<Crc<u8>>),
    /// A CRC of 9 to 16 bits.
    Crc16(Box<Crc<u16>>),
    /// A CRC of 17 to 32 bits.
    Crc32(Box<Crc<u32>>),
    /// A CRC of 33 to 64 bits.
    Crc64(Box<Crc<u64>>),
    /// The bytes added, modulo 256.
    Sum8,
    /// The bytes XOR-ed together.
    Xor8,
    /// The two's complement of [`Checksum::Sum8`] (Modbus ASCII's LRC).
    Lrc8,
}

impl std::fmt::Debug for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checksum({} bits)", self.width())
    }
}

/// What a checksum computes, in the terms another implementation repeats
/// it in (a generated Wireshark dissector): a CRC by the catalogue's
/// parameters, or one of the byte sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChecksumRecipe {
    /// A CRC, as the catalogue describes it (`init` and `xorout`
    /// unreflected, `poly` without its top bit).
    Crc {
        width: u8,
        poly: u64,
        init: u64,
        refin: bool,
        refout: bool,
        xorout: u64,
    },
    /// [`Checksum::Sum8`].
    Sum8,
    /// [`Checksum::Xor8`].
    Xor8,
    /// [`Checksum::Lrc8`].
    Lrc8,
}

/// What one entry of the table holds.
#[derive(Clone, Copy)]
enum Entry {
    W8(&'static Algorithm<u8>),
    W16(&'static Algorithm<u16>),
    W32(&'static Algorithm<u32>),
    W64(&'static Algorithm<u64>),
    W128(&'static Algorithm<u128>),
}

macro_rules! catalogue {
    ($($width:ident $constant:ident),* $(,)?) => {
        /// Every CRC of the catalogue, by its constant's name.
        const CATALOGUE: &[(&str, Entry)] = &[
            $((stringify!($constant), Entry::$width(&crc::$constant)),)*
        ];
    };
}

catalogue! {
    W8 CRC_3_GSM, W8 CRC_3_ROHC, W8 CRC_4_G_704, W8 CRC_4_INTERLAKEN, W8 CRC_5_EPC_C1G2,
    W8 CRC_5_G_704, W8 CRC_5_USB, W8 CRC_6_CDMA2000_A, W8 CRC_6_CDMA2000_B, W8 CRC_6_DARC,
    W8 CRC_6_G_704, W8 CRC_6_GSM, W8 CRC_7_MMC, W8 CRC_7_ROHC, W8 CRC_7_UMTS, W8 CRC_8_AUTOSAR,
    W8 CRC_8_BLUETOOTH, W8 CRC_8_CDMA2000, W8 CRC_8_DARC, W8 CRC_8_DVB_S2, W8 CRC_8_GSM_A,
    W8 CRC_8_GSM_B, W8 CRC_8_HITAG, W8 CRC_8_I_432_1, W8 CRC_8_I_CODE, W8 CRC_8_LTE,
    W8 CRC_8_MAXIM_DOW, W8 CRC_8_MIFARE_MAD, W8 CRC_8_NRSC_5, W8 CRC_8_OPENSAFETY, W8 CRC_8_ROHC,
    W8 CRC_8_SAE_J1850, W8 CRC_8_SMBUS, W8 CRC_8_TECH_3250, W8 CRC_8_WCDMA,
    W16 CRC_10_ATM, W16 CRC_10_CDMA2000, W16 CRC_10_GSM, W16 CRC_11_FLEXRAY, W16 CRC_11_UMTS,
    W16 CRC_12_CDMA2000, W16 CRC_12_DECT, W16 CRC_12_GSM, W16 CRC_12_UMTS, W16 CRC_13_BBC,
    W16 CRC_14_DARC, W16 CRC_14_GSM, W16 CRC_15_CAN, W16 CRC_15_MPT1327, W16 CRC_16_ARC,
    W16 CRC_16_CDMA2000, W16 CRC_16_CMS, W16 CRC_16_DDS_110, W16 CRC_16_DECT_R, W16 CRC_16_DECT_X,
    W16 CRC_16_DNP, W16 CRC_16_EN_13757, W16 CRC_16_GENIBUS, W16 CRC_16_GSM, W16 CRC_16_IBM_3740,
    W16 CRC_16_IBM_SDLC, W16 CRC_16_ISO_IEC_14443_3_A, W16 CRC_16_KERMIT, W16 CRC_16_LJ1200,
    W16 CRC_16_M17, W16 CRC_16_MAXIM_DOW, W16 CRC_16_MCRF4XX, W16 CRC_16_MODBUS, W16 CRC_16_NRSC_5,
    W16 CRC_16_OPENSAFETY_A, W16 CRC_16_OPENSAFETY_B, W16 CRC_16_PROFIBUS, W16 CRC_16_RIELLO,
    W16 CRC_16_SPI_FUJITSU, W16 CRC_16_T10_DIF, W16 CRC_16_TELEDISK, W16 CRC_16_TMS37157,
    W16 CRC_16_UMTS, W16 CRC_16_USB, W16 CRC_16_XMODEM,
    W32 CRC_17_CAN_FD, W32 CRC_21_CAN_FD, W32 CRC_24_BLE, W32 CRC_24_FLEXRAY_A, W32 CRC_24_FLEXRAY_B,
    W32 CRC_24_INTERLAKEN, W32 CRC_24_LTE_A, W32 CRC_24_LTE_B, W32 CRC_24_OPENPGP, W32 CRC_24_OS_9,
    W32 CRC_30_CDMA, W32 CRC_31_PHILIPS, W32 CRC_32_AIXM, W32 CRC_32_AUTOSAR, W32 CRC_32_BASE91_D,
    W32 CRC_32_BZIP2, W32 CRC_32_CD_ROM_EDC, W32 CRC_32_CKSUM, W32 CRC_32_ISCSI, W32 CRC_32_ISO_HDLC,
    W32 CRC_32_JAMCRC, W32 CRC_32_MEF, W32 CRC_32_MPEG_2, W32 CRC_32_XFER,
    W64 CRC_40_GSM, W64 CRC_64_ECMA_182, W64 CRC_64_GO_ISO, W64 CRC_64_MS, W64 CRC_64_NVME,
    W64 CRC_64_REDIS, W64 CRC_64_WE, W64 CRC_64_XZ,
    W128 CRC_82_DARC,
}

/// Other names people use for catalogue entries.
const ALIASES: &[(&str, &str)] = &[
    ("CRC_32", "CRC_32_ISO_HDLC"),
    ("CRC_32C", "CRC_32_ISCSI"),
    ("CRC_16_CCITT_FALSE", "CRC_16_IBM_3740"),
    ("CRC_16_X_25", "CRC_16_IBM_SDLC"),
    ("CRC_16", "CRC_16_ARC"),
    ("CRC_8", "CRC_8_SMBUS"),
];

/// The catalogue name of a constant: `CRC_16_MODBUS` reads `CRC-16/MODBUS`.
fn catalogue_name(constant: &str) -> String {
    let rest = constant.strip_prefix("CRC_").unwrap_or(constant);
    match rest.split_once('_') {
        Some((width, variant)) => format!("CRC-{width}/{}", variant.replace('_', "-")),
        None => format!("CRC-{rest}"),
    }
}

/// A user's spelling of a name, made comparable with the constants.
fn normalise(name: &str) -> String {
    name.trim()
        .to_ascii_uppercase()
        .replace(['/', '-', ' '], "_")
}

/// Why an algorithm name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChecksumNameError {
    /// No algorithm has the name; the closest one, if any is close.
    Unknown { closest: Option<String> },
    /// The algorithm is wider than any field.
    TooWide { name: String, width: u8 },
}

impl Checksum {
    /// The algorithm a profile names: a catalogue CRC, `sum8`, `xor8` or `lrc8`.
    pub(crate) fn by_name(name: &str) -> Result<(Checksum, String), ChecksumNameError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "sum8" => return Ok((Checksum::Sum8, "sum8".into())),
            "xor8" => return Ok((Checksum::Xor8, "xor8".into())),
            "lrc8" => return Ok((Checksum::Lrc8, "lrc8".into())),
            _ => {}
        }
        let wanted = normalise(name);
        let wanted = ALIASES
            .iter()
            .find(|(alias, _)| *alias == wanted)
            .map_or(wanted.as_str(), |(_, constant)| constant);
        let Some(&(constant, entry)) = CATALOGUE.iter().find(|(c, _)| *c == wanted) else {
            return Err(ChecksumNameError::Unknown {
                closest: closest(&normalise(name)),
            });
        };
        let checksum = match entry {
            Entry::W8(algorithm) => Checksum::Crc8(Box::new(Crc::<u8>::new(algorithm))),
            Entry::W16(algorithm) => Checksum::Crc16(Box::new(Crc::<u16>::new(algorithm))),
            Entry::W32(algorithm) => Checksum::Crc32(Box::new(Crc::<u32>::new(algorithm))),
            Entry::W64(algorithm) => Checksum::Crc64(Box::new(Crc::<u64>::new(algorithm))),
            Entry::W128(algorithm) => {
                return Err(ChecksumNameError::TooWide {
                    name: catalogue_name(constant),
                    width: algorithm.width,
                });
            }
        };
        Ok((checksum, catalogue_name(constant)))
    }

    /// How many bits the checksum has.
    pub(crate) fn width(&self) -> u8 {
        match self {
            Checksum::Crc8(crc) => crc.algorithm.width,
            Checksum::Crc16(crc) => crc.algorithm.width,
            Checksum::Crc32(crc) => crc.algorithm.width,
            Checksum::Crc64(crc) => crc.algorithm.width,
            Checksum::Sum8 | Checksum::Xor8 | Checksum::Lrc8 => 8,
        }
    }

    /// What it computes, parameters and all.
    pub(crate) fn recipe(&self) -> ChecksumRecipe {
        match self {
            Checksum::Crc8(crc) => crc_recipe(crc.algorithm),
            Checksum::Crc16(crc) => crc_recipe(crc.algorithm),
            Checksum::Crc32(crc) => crc_recipe(crc.algorithm),
            Checksum::Crc64(crc) => crc_recipe(crc.algorithm),
            Checksum::Sum8 => ChecksumRecipe::Sum8,
            Checksum::Xor8 => ChecksumRecipe::Xor8,
            Checksum::Lrc8 => ChecksumRecipe::Lrc8,
        }
    }

    /// The checksum of the pieces, one after another.
    pub(crate) fn of<'a>(&self, pieces: impl IntoIterator<Item = &'a [u8]>) -> u64 {
        match self {
            Checksum::Crc8(crc) => {
                let mut digest = crc.digest();
                pieces.into_iter().for_each(|p| digest.update(p));
                u64::from(digest.finalize())
            }
            Checksum::Crc16(crc) => {
                let mut digest = crc.digest();
                pieces.into_iter().for_each(|p| digest.update(p));
                u64::from(digest.finalize())
            }
            Checksum::Crc32(crc) => {
                let mut digest = crc.digest();
                pieces.into_iter().for_each(|p| digest.update(p));
                u64::from(digest.finalize())
            }
            Checksum::Crc64(crc) => {
                let mut digest = crc.digest();
                pieces.into_iter().for_each(|p| digest.update(p));
                digest.finalize()
            }
            Checksum::Sum8 | Checksum::Lrc8 => {
                let sum = pieces
                    .into_iter()
                    .flatten()
                    .fold(0u8, |sum, byte| sum.wrapping_add(*byte));
                let sum = if matches!(self, Checksum::Lrc8) {
                    0u8.wrapping_sub(sum)
                } else {
                    sum
                };
                u64::from(sum)
            }
            Checksum::Xor8 => u64::from(pieces.into_iter().flatten().fold(0u8, |x, b| x ^ b)),
        }
    }
}

/// A catalogue CRC's parameters, widened.
fn crc_recipe<W: crc::Width + Copy + Into<u64>>(algorithm: &Algorithm<W>) -> ChecksumRecipe {
    ChecksumRecipe::Crc {
        width: algorithm.width,
        poly: algorithm.poly.into(),
        init: algorithm.init.into(),
        refin: algorithm.refin,
        refout: algorithm.refout,
        xorout: algorithm.xorout.into(),
    }
}

/// The catalogue name nearest to a misspelt one, when one is near.
fn closest(wanted: &str) -> Option<String> {
    CATALOGUE
        .iter()
        .map(|(constant, _)| (distance(wanted, constant), constant))
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, constant)| catalogue_name(constant))
}

/// The edit distance between two names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(previous + usize::from(ca != *cb));
            previous = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_name_gives_its_own_check_value() {
        assert_eq!(CATALOGUE.len(), 113);
        for (constant, entry) in CATALOGUE {
            let name = catalogue_name(constant);
            let check = match entry {
                Entry::W8(a) => u64::from(a.check),
                Entry::W16(a) => u64::from(a.check),
                Entry::W32(a) => u64::from(a.check),
                Entry::W64(a) => a.check,
                Entry::W128(_) => {
                    assert!(matches!(
                        Checksum::by_name(&name),
                        Err(ChecksumNameError::TooWide { width: 82, .. })
                    ));
                    continue;
                }
            };
            let (checksum, canonical) = Checksum::by_name(&name).unwrap();
            assert_eq!(canonical, name);
            assert_eq!(checksum.of([&b"123456789"[..]]), check, "{name}");
            // Split anywhere, the digest is the same.
            assert_eq!(checksum.of([&b"1234"[..], &b"56789"[..]]), check, "{name}");
        }
    }

    #[test]
    fn names_read_as_people_write_them() {
        assert_eq!(catalogue_name("CRC_16_MODBUS"), "CRC-16/MODBUS");
        assert_eq!(
            catalogue_name("CRC_16_ISO_IEC_14443_3_A"),
            "CRC-16/ISO-IEC-14443-3-A"
        );
        for spelling in ["CRC-16/MODBUS", "crc-16/modbus", "CRC_16_MODBUS"] {
            assert_eq!(Checksum::by_name(spelling).unwrap().1, "CRC-16/MODBUS");
        }
        assert_eq!(Checksum::by_name("CRC-32").unwrap().1, "CRC-32/ISO-HDLC");
        assert_eq!(
            Checksum::by_name("CRC-16/MODBUSS").unwrap_err(),
            ChecksumNameError::Unknown {
                closest: Some("CRC-16/MODBUS".into())
            }
        );
    }

    #[test]
    fn a_recipe_gives_the_catalogue_parameters() {
        let (crc, _) = Checksum::by_name("CRC-16/MODBUS").unwrap();
        assert_eq!(
            crc.recipe(),
            ChecksumRecipe::Crc {
                width: 16,
                poly: 0x8005,
                init: 0xFFFF,
                refin: true,
                refout: true,
                xorout: 0,
            }
        );
        let (crc, _) = Checksum::by_name("CRC-12/UMTS").unwrap();
        assert!(matches!(
            crc.recipe(),
            ChecksumRecipe::Crc {
                width: 12,
                refin: false,
                refout: true,
                ..
            }
        ));
        assert_eq!(Checksum::Lrc8.recipe(), ChecksumRecipe::Lrc8);
    }

    #[test]
    fn byte_sums_match_worked_examples() {
        // Modbus ASCII's example request 01 03 00 0A 00 02: LRC F0.
        let request = [0x01, 0x03, 0x00, 0x0A, 0x00, 0x02];
        assert_eq!(Checksum::Lrc8.of([&request[..]]), 0xF0);
        assert_eq!(Checksum::Sum8.of([&request[..]]), 0x10);
        assert_eq!(Checksum::Xor8.of([&request[..]]), 0x01 ^ 0x03 ^ 0x0A ^ 0x02);
        // The Modbus RTU example from the same request: CRC E4 09 on the wire (little-endian).
        let (crc, _) = Checksum::by_name("CRC-16/MODBUS").unwrap();
        assert_eq!(crc.of([&request[..]]), 0x09E4);
    }
}
