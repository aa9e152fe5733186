//! Ogg probe for Vorbis, Opus, FLAC and Speex: identifies the first audio stream from its
//! identification header and measures it from the granule position of its last CRC-checked
//! page; chained files are measured link by link (see [`OggInfo::chain_mismatch`]).

mod chains;
mod codec;
mod page;

use std::io::{Read, Seek};

use super::ParseError;
use super::bytes::duration;

use chains::{Chain, measure_chain, walk_chains};
use codec::{Ident, identify, stream_name};
use page::{Parsed, crc_ok, read_page};

/// What the audio streams of an Ogg file declare and really hold: the codec fields describe the
/// first chain's audio stream; the length sums all chains.
#[derive(Debug, Clone, PartialEq)]
pub struct OggInfo {
    /// `"vorbis"`, `"opus"`, `"flac"` or `"speex"`.
    pub codec: String,
    /// Output sample rate in Hz (always 48000 for Opus).
    pub sample_rate: u32,
    /// Opus only: the input sample rate from OpusHead (`None` if absent/0 or not Opus).
    pub input_sample_rate: Option<u32>,
    /// Number of channels.
    pub channels: u8,
    /// Opus only: samples (at 48 kHz) the decoder discards at the start; 0 for other codecs.
    pub pre_skip: u32,
    /// Playable samples per channel at `sample_rate`, from the last complete page's granule
    /// position of each chain (Opus: minus pre-skip and any non-zero starting granule), summed
    /// over the chains; a chain at another sample rate is converted (rounded) to `sample_rate`.
    pub samples: u64,
    /// The sum of each chain's duration, in seconds (`samples / sample_rate` when the rates
    /// agree).
    pub duration_s: f64,
    /// Set when a stream has no end-of-stream page or the file ends inside a page (for a chained
    /// file, prefixed with which chained stream is cut).
    pub truncated: Option<String>,
    /// Serial number of the measured logical stream (of the first chain).
    pub serial: u32,
    /// Number of chained links (groups of logical streams one after another, as `cat a.ogg
    /// b.ogg` makes); 1 for an ordinary file. `samples` and `duration_s` sum all of them.
    pub chains: u32,
    /// Set when the chained streams differ in codec, sample rate or channel count, e.g. "the file
    /// chains 2 streams with different channel counts (2 and 1)"; players may glitch or stop.
    pub chain_mismatch: Option<String>,
    /// Remarks about unusual but tolerated content (other streams, corrupt pages skipped).
    pub notes: Vec<String>,
    /// Bytes after the last Ogg page that are no page (see `trailing-data`).
    pub trailing_bytes: u64,
}

/// Largest tail window scanned backwards for the last page (grows 8x from 8 KiB).
const MAX_TAIL: u64 = 4 * 1024 * 1024;
/// Upper bound on pages walked forwards (the chain walk, and the fallback walk per chain); a
/// one-hour file has about 20 000 pages.
const MAX_PAGES: usize = 10_000_000;
/// Upper bound on chained streams measured.
const MAX_CHAINS: usize = 100_000;
/// Bytes searched for the next page header after damaged data (covers one whole page).
const RESYNC: u64 = 192 * 1024;
/// Upper bound on pages walked forwards while looking for the first audio page.
const MAX_HEADER_PAGES: usize = 4096;

/// Probes an Ogg file and measures its first Vorbis, Opus, FLAC or Speex stream. `len` is the file
/// length; the reader may be at any position.
pub fn probe_ogg<R: Read + Seek>(r: &mut R, len: u64) -> Result<OggInfo, ParseError> {
    if len == 0 {
        return Err(ParseError::Invalid("the file is empty".into()));
    }
    let mut notes = Vec::new();

    // 1. the BOS pages at the start: pick the first known audio stream
    let mut pos = 0u64;
    let mut chosen: Option<(u32, Ident)> = None;
    let mut first_other: Option<String> = None;
    let mut bos_count = 0usize;
    loop {
        let (parsed, bytes) = read_page(r, pos, len)?;
        let page = match parsed {
            Parsed::Page(p) => p,
            Parsed::Short { need, have } => {
                if chosen.is_some() {
                    break;
                }
                return Err(ParseError::Truncated(format!(
                    "the file ends inside the Ogg page at byte {pos}: the page needs {need} bytes but only {have} remain"
                )));
            }
            Parsed::NotPage => {
                if pos == 0 {
                    return Err(ParseError::Invalid(
                        "not an Ogg file (no OggS page at the start)".into(),
                    ));
                }
                break;
            }
        };
        if !page.bos() {
            break;
        }
        if !crc_ok(&bytes) {
            return Err(ParseError::Invalid(format!(
                "the Ogg page at byte {pos} that starts a stream has a bad checksum"
            )));
        }
        bos_count += 1;
        if chosen.is_none() {
            let first = page.packets().first().map(|&(s, e, _)| (s, e));
            let packet = first.and_then(|(s, e)| bytes.get(s..e)).unwrap_or(&[]);
            match identify(packet)? {
                Some(id) => chosen = Some((page.serial, id)),
                None => {
                    if first_other.is_none() {
                        first_other = Some(stream_name(packet));
                    }
                }
            }
        }
        pos += page.total as u64;
        if bos_count >= 1024 {
            break;
        }
    }
    let Some((serial, id)) = chosen else {
        return Err(ParseError::Invalid(format!(
            "the Ogg file holds no Vorbis, Opus, FLAC or Speex stream (its first stream is {})",
            first_other.unwrap_or_else(|| "an unknown codec".into())
        )));
    };
    if bos_count > 1 {
        notes.push(format!(
            "the file multiplexes {bos_count} logical streams; the {} stream (serial {serial}) is measured",
            id.codec
        ));
    }

    // 2. the chains: logical streams one after another (`cat a.ogg b.ogg`), found by a forward
    // walk over the page headers
    let (mut chains, walk_notes, cut_page, trailing_bytes) = walk_chains(r, len)?;
    notes.extend(walk_notes);
    match chains.first_mut() {
        Some(c) => c.audio = Some((serial, id.clone())),
        None => chains.push(Chain {
            start: 0,
            end: len,
            audio: Some((serial, id.clone())),
            other: None,
            bad: None,
        }),
    }
    let n = chains.len();

    // 3. each chain measured from its own last pages
    let mut total = 0u128;
    let mut duration_s = 0.0;
    let mut truncated: Option<String> = None;
    let mut shapes: Vec<(&'static str, u32, u8)> = Vec::new();
    for (k, c) in chains.iter().enumerate() {
        let label = |msg: &str| {
            if n > 1 {
                format!("in chained stream {} of {n}, {msg}", k + 1)
            } else {
                msg.to_string()
            }
        };
        let Some((serial, cid)) = &c.audio else {
            let why = c.bad.clone().unwrap_or_else(|| {
                format!(
                    "it holds no Vorbis, Opus, FLAC or Speex stream (its first stream is {})",
                    c.other.as_deref().unwrap_or("an unknown codec")
                )
            });
            notes.push(format!("chained stream {} of {n} was not measured: {why}", k + 1));
            continue;
        };
        let mut cnotes = Vec::new();
        let (samples, cut) = measure_chain(r, len, c, *serial, cid, &mut cnotes)?;
        notes.extend(cnotes.into_iter().map(|m| {
            if k == 0 {
                m
            } else {
                format!("chained stream {} of {n}: {m}", k + 1)
            }
        }));
        if truncated.is_none() {
            truncated = cut.map(|m| label(&m));
        }
        // samples in units of the first stream's rate (exact when the rates agree)
        total = total.saturating_add(if cid.rate == id.rate {
            u128::from(samples)
        } else {
            (u128::from(samples) * u128::from(id.rate) + u128::from(cid.rate / 2))
                / u128::from(cid.rate.max(1))
        });
        duration_s += duration(samples, cid.rate);
        shapes.push((cid.codec, cid.rate, cid.channels));
    }
    let samples = u64::try_from(total).unwrap_or(u64::MAX);
    if let (None, Some((at, need, have))) = (&truncated, cut_page) {
        // e.g. cut inside the first page of a following chain, or of another multiplexed stream
        truncated = Some(format!(
            "the file ends inside the Ogg page at byte {at}: the page needs {need} bytes but only {have} remain"
        ));
    }

    Ok(OggInfo {
        codec: id.codec.to_string(),
        sample_rate: id.rate,
        input_sample_rate: id.input_rate,
        channels: id.channels,
        pre_skip: id.pre_skip,
        samples,
        duration_s,
        truncated,
        serial,
        chains: u32::try_from(n).unwrap_or(u32::MAX),
        chain_mismatch: mismatch(&shapes),
        notes,
        trailing_bytes,
    })
}

/// Describes how the chained streams differ in codec, sample rate or channel count, if they do.
fn mismatch(shapes: &[(&'static str, u32, u8)]) -> Option<String> {
    fn distinct<T: PartialEq + Copy>(v: impl Iterator<Item = T>) -> Vec<T> {
        let mut out: Vec<T> = Vec::new();
        for x in v {
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    }
    fn list(v: &[String]) -> String {
        match v.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => v.join(""),
        }
    }
    let codecs = distinct(shapes.iter().map(|s| s.0));
    let rates = distinct(shapes.iter().map(|s| s.1));
    let channels = distinct(shapes.iter().map(|s| s.2));
    let mut parts = Vec::new();
    if codecs.len() > 1 {
        parts.push(format!(
            "codecs ({})",
            list(&codecs.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        ));
    }
    if rates.len() > 1 {
        parts.push(format!(
            "sample rates ({} Hz)",
            list(&rates.iter().map(|r| r.to_string()).collect::<Vec<_>>())
        ));
    }
    if channels.len() > 1 {
        parts.push(format!(
            "channel counts ({})",
            list(&channels.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        ));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "the file chains {} streams with different {}",
            shapes.len(),
            list(&parts)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::codec::opus_packet_samples;
    use super::page::{page_crc, parse_page};
    use super::*;
    use std::io::Cursor;

    fn load(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("audio/{name}"))
    }

    fn probe(b: &[u8]) -> Result<OggInfo, ParseError> {
        probe_ogg(&mut Cursor::new(b), b.len() as u64)
    }

    /// (page offset, granule) of every page, from a page dump of the fixtures.
    const OPUS_PAGES: [(usize, u64); 8] = [
        (0, 0),
        (47, 0),
        (121, 9600),
        (315, 19200),
        (512, 28800),
        (706, 38400),
        (868, 48000),
        (1036, 48312),
    ];
    const VORBIS_PAGES: [(usize, u64); 7] = [
        (0, 0),
        (58, 0),
        (2620, 1792),
        (2789, 3840),
        (2956, 5888),
        (3124, 7936),
        (3293, 8000),
    ];

    #[test]
    fn opus() {
        // ffprobe: opus 48000 Hz mono, duration_ts 48312 (1.0065 s: it does not subtract the
        // pre-skip); `ffmpeg -i opus.opus -f s16le -ac 1 - | wc -c` / 2 = 48000 samples
        let i = probe(&load("opus.opus")).unwrap();
        assert_eq!(i.codec, "opus");
        assert_eq!((i.sample_rate, i.input_sample_rate), (48000, Some(16000)));
        assert_eq!((i.channels, i.pre_skip), (1, 312));
        assert_eq!(i.samples, 48000);
        assert_eq!(i.duration_s, 1.0);
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
    }

    #[test]
    fn opus_truncated_fixture() {
        // cut inside the page at 512; ffprobe 19200 (0.4 s), decode 18888 = 19200 - 312
        let i = probe(&load("opus_trunc.opus")).unwrap();
        assert_eq!(i.samples, 18888);
        assert_eq!(i.duration_s, 0.3935);
        assert_eq!(
            i.truncated.as_deref(),
            Some(
                "the file ends inside the Ogg page at byte 512: the page needs 194 bytes but only 136 remain"
            )
        );
    }

    #[test]
    fn vorbis_and_flac() {
        // ffprobe: vorbis 8000 Hz mono duration_ts 8000; decode 8000
        let i = probe(&load("vorbis.ogg")).unwrap();
        assert_eq!(i.codec, "vorbis");
        assert_eq!((i.sample_rate, i.input_sample_rate, i.channels), (8000, None, 1));
        assert_eq!((i.samples, i.pre_skip, i.truncated.clone()), (8000, 0, None));
        assert_eq!(i.duration_s, 1.0);
        // ffprobe: flac 8000 Hz mono duration_ts 4000; decode 4000
        let i = probe(&load("oggflac.oga")).unwrap();
        assert_eq!(i.codec, "flac");
        assert_eq!((i.sample_rate, i.channels, i.samples), (8000, 1, 4000));
        assert_eq!(i.truncated, None);
    }

    fn check_cuts(b: &[u8], pages: &[(usize, u64)], id_end: usize, pre_skip: u64) {
        for cut in 0..id_end {
            assert!(probe(&b[..cut]).is_err(), "cut {cut}");
        }
        for cut in id_end..=b.len() {
            let i = probe(&b[..cut]).unwrap();
            // last page wholly inside the cut
            let k = (0..pages.len())
                .rfind(|&k| pages.get(k + 1).map_or(b.len(), |p| p.0) <= cut)
                .unwrap();
            assert_eq!(i.samples, pages[k].1.saturating_sub(pre_skip), "cut {cut}");
            assert_eq!(i.truncated.is_some(), cut < b.len(), "cut {cut}");
        }
    }

    #[test]
    fn every_cut_point() {
        check_cuts(&load("opus.opus"), &OPUS_PAGES, 47, 312);
        check_cuts(&load("vorbis.ogg"), &VORBIS_PAGES, 58, 0);
        assert!(matches!(
            probe(&load("opus.opus")[..20]),
            Err(ParseError::Truncated(_))
        ));
        assert!(matches!(probe(b"Og"), Err(ParseError::Truncated(_))));
    }

    /// Rewrites every granule position >= `from` by adding `delta`, and fixes the checksums.
    fn shift_granules(b: &mut [u8], delta: u64) {
        let mut pos = 0;
        while pos + 27 <= b.len() {
            let Parsed::Page(p) = parse_page(&b[pos..]) else {
                break;
            };
            if p.granule > 0 && p.has_granule() {
                let g = p.granule + delta;
                b[pos + 6..pos + 14].copy_from_slice(&g.to_le_bytes());
                let c = page_crc(&b[pos..pos + p.total]);
                b[pos + 22..pos + 26].copy_from_slice(&c.to_le_bytes());
            }
            pos += p.total;
        }
    }

    #[test]
    fn opus_nonzero_start() {
        let mut b = load("opus.opus");
        shift_granules(&mut b, 4800);
        let i = probe(&b).unwrap();
        assert_eq!(i.samples, 48000);
        assert_eq!(i.notes.len(), 1, "{:?}", i.notes);
        // vorbis: no start correction (documented)
        let mut b = load("vorbis.ogg");
        shift_granules(&mut b, 800);
        assert_eq!(probe(&b).unwrap().samples, 8800);
    }

    #[test]
    fn damaged() {
        assert!(matches!(probe(&[]), Err(ParseError::Invalid(_))));
        assert!(matches!(probe(b"RIFF....WAVEfmt "), Err(ParseError::Invalid(_))));
        // a bad checksum on the identification page
        let mut b = load("opus.opus");
        b[40] ^= 0x10;
        assert!(matches!(probe(&b), Err(ParseError::Invalid(_))));
        // a bad checksum on the last page: the page before is used, and it lacks EOS
        let mut b = load("opus.opus");
        b[1070] ^= 0x10;
        let i = probe(&b).unwrap();
        assert_eq!(i.samples, 48000 - 312);
        assert!(i.truncated.unwrap().contains("not marked as the end"));
        assert_eq!(i.notes.len(), 1);
        // EOS flag cleared (and CRC fixed): a cut exactly at a page boundary looks like this
        let mut b = load("vorbis.ogg");
        b[3293 + 5] = 0;
        let c = page_crc(&b[3293..]);
        b[3293 + 22..3293 + 26].copy_from_slice(&c.to_le_bytes());
        let i = probe(&b).unwrap();
        assert_eq!(i.samples, 8000);
        assert_eq!(
            i.truncated.as_deref(),
            Some("the last Ogg page of the stream (byte 3293) is not marked as the end of the stream")
        );
        // a stream of an unknown codec
        let mut b = load("opus.opus")[..47].to_vec();
        b[28..35].copy_from_slice(b"\x80theora");
        let c = page_crc(&b);
        b[22..26].copy_from_slice(&c.to_le_bytes());
        let e = probe(&b).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the Ogg file holds no Vorbis, Opus, FLAC or Speex stream (its first stream is Theora)"
        );
        // a corrupt OpusHead (0 channels)
        let mut b = load("opus.opus");
        b[37] = 0;
        let c = page_crc(&b[..47]);
        b[22..26].copy_from_slice(&c.to_le_bytes());
        assert!(matches!(probe(&b), Err(ParseError::Invalid(_))));
    }

    #[test]
    fn crc_and_opus_toc() {
        // the fixture's own checksums verify
        let b = load("vorbis.ogg");
        assert!(crc_ok(&b[0..58]));
        assert!(crc_ok(&b[3293..]));
        assert_eq!(opus_packet_samples(&[0x08]), Some(960)); // SILK NB 20 ms, code 0
        assert_eq!(opus_packet_samples(&[0xFC]), Some(960)); // CELT FB 20 ms, code 0
        assert_eq!(opus_packet_samples(&[0x09]), Some(1920)); // SILK NB 20 ms, code 1: 2 frames
        assert_eq!(opus_packet_samples(&[0x03, 0x05]), Some(5 * 480));
        assert_eq!(opus_packet_samples(&[0x03]), None);
    }

    #[test]
    fn chained_and_multiplexed() {
        // two chained copies: the first stream is found by the forward walk
        let a = load("opus.opus");
        let mut v = load("vorbis.ogg");
        // give the vorbis stream another serial
        let mut pos = 0;
        while pos < v.len() {
            let Parsed::Page(p) = parse_page(&v[pos..]) else {
                break;
            };
            v[pos + 14] = 7;
            let c = page_crc(&v[pos..pos + p.total]);
            v[pos + 22..pos + 26].copy_from_slice(&c.to_le_bytes());
            pos += p.total;
        }
        let mut b = a.clone();
        b.extend_from_slice(&v);
        // both chains count: 8000 Vorbis samples at 8 kHz are 48000 at the first stream's rate
        let i = probe(&b).unwrap();
        assert_eq!(
            (i.codec.as_str(), i.samples, i.truncated.clone()),
            ("opus", 96000, None)
        );
        assert_eq!((i.serial, i.chains, i.duration_s), (0, 2, 2.0));
        assert_eq!(
            i.chain_mismatch.as_deref(),
            Some(
                "the file chains 2 streams with different codecs (opus and vorbis) and sample rates (48000 and 8000 Hz)"
            )
        );
        // many chains, with the same serial over and over (as `cat` makes)
        for _ in 0..1300 {
            b.extend_from_slice(&v);
        }
        let i = probe(&b).unwrap();
        assert_eq!(
            (i.samples, i.chains, i.truncated.clone()),
            (48000 * 1302, 1302, None)
        );
        assert!(i.notes.is_empty(), "{:?}", i.notes);
    }

    #[test]
    fn chained_streams_are_summed() {
        // regression: only the first chain was measured. opusinfo: stream 1 mono, 1.000 s,
        // stream 2 stereo, 0.500 s (ffmpeg decodes 48000 + 24000 samples)
        let b = load("opus_chained.opus");
        let i = probe(&b).unwrap();
        assert_eq!((i.codec.as_str(), i.channels, i.serial), ("opus", 1, 0));
        assert_eq!((i.chains, i.samples, i.duration_s), (2, 72000, 1.5));
        assert_eq!(i.truncated, None);
        assert_eq!(
            i.chain_mismatch.as_deref(),
            Some("the file chains 2 streams with different channel counts (1 and 2)")
        );
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        // the second stream cut short: the first is whole, the second counts to its last page
        let i = probe(&b[..b.len() - 50]).unwrap();
        assert_eq!(i.chains, 2);
        assert!(i.samples >= 48000 && i.samples < 72000, "{}", i.samples);
        let t = i.truncated.unwrap();
        assert!(
            t.starts_with("in chained stream 2 of 2, the file ends inside the Ogg page"),
            "{t}"
        );
        // the first stream cut short by the second: flagged, and the second still counts
        let a = load("opus.opus");
        for keep in [1, 20, 60, 161] {
            let mut c = a[..OPUS_PAGES[5].0 + keep].to_vec();
            c.extend_from_slice(&b[a.len()..]);
            let i = probe(&c).unwrap();
            assert_eq!(i.chains, 2, "{keep}");
            assert_eq!(i.samples, (28800 - 312) + 24000, "{keep}");
            assert!(
                i.truncated
                    .unwrap()
                    .starts_with("in chained stream 1 of 2, the Ogg page at byte 706 is cut short")
            );
        }
        let mut c = a[..OPUS_PAGES[5].0 + 60].to_vec();
        c.extend_from_slice(&b[a.len()..]);
        assert_eq!(
            probe(&c).unwrap().truncated.as_deref(),
            Some(
                "in chained stream 1 of 2, the Ogg page at byte 706 is cut short: it needs 162 bytes but the next chained stream starts after 60"
            )
        );
        // every cut point: no panic, and whole first stream once its last page is in
        for cut in a.len() + 1..=b.len() {
            let i = probe(&b[..cut]).unwrap();
            assert!(i.samples >= 48000, "cut {cut}");
            assert_eq!(i.truncated.is_some(), cut < b.len(), "cut {cut}");
        }
    }

    #[test]
    fn no_panic_sweep() {
        for name in ["opus.opus", "opus_trunc.opus", "vorbis.ogg", "oggflac.oga"] {
            let b = load(name);
            for cut in 0..=b.len() {
                let _ = probe(&b[..cut]);
            }
            let mut seed = 0xD1B5_4A32_D192_ED03u64;
            for k in 0..300 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut c = b.clone();
                let span = if k % 2 == 0 { 128.min(c.len()) } else { c.len() };
                let at = (seed % span as u64) as usize;
                c[at] = (seed >> 32) as u8;
                let _ = probe(&c);
                let end = (at + 4).min(c.len());
                c[at..end].fill(0xFF);
                let _ = probe(&c);
            }
        }
    }
}
