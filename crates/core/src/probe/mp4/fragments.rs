//! Fragmented MP4: movie fragments (`moof`/`traf`/`trun`) add samples and duration to the
//! tracks declared in `moov`.

use std::io::{Read, Seek};

use crate::probe::ParseError;
use crate::probe::bytes::u32_be;

use super::boxes::{BoxHdr, Src, next_child};
use super::tables::check_fits;
use super::{Durations, State, short};

pub(super) fn parse_moof<R: Read + Seek>(
    src: &mut Src<R>,
    moof: &BoxHdr,
    st: &mut State,
) -> Result<(), ParseError> {
    let mut pos = moof.payload;
    while let Some(traf) = next_child(src, &mut pos, moof)? {
        if &traf.typ != b"traf" {
            continue;
        }
        let mut track: Option<(u32, Option<u32>)> = None;
        let mut q = traf.payload;
        while let Some(h) = next_child(src, &mut q, &traf)? {
            match &h.typ {
                b"tfhd" => {
                    let p = src.payload(&h, 40)?;
                    let (Some(vf), Some(id)) = (u32_be(&p, 0), u32_be(&p, 4)) else {
                        return Err(short(&h));
                    };
                    let mut i = 8usize;
                    if vf & 0x1 != 0 {
                        i += 8;
                    }
                    if vf & 0x2 != 0 {
                        i += 4;
                    }
                    let dur = if vf & 0x8 != 0 {
                        Some(u32_be(&p, i).ok_or_else(|| short(&h))?)
                    } else {
                        None
                    };
                    track = Some((id, dur));
                }
                b"trun" => {
                    let Some((id, tf_dur)) = track else {
                        return Err(ParseError::Invalid(format!(
                            "corrupt fragment: the trun box at byte {} comes before its tfhd",
                            h.start
                        )));
                    };
                    let p = src.payload(&h, 8)?;
                    let (Some(vf), Some(n)) = (u32_be(&p, 0), u32_be(&p, 4)) else {
                        return Err(short(&h));
                    };
                    let n = u64::from(n);
                    let mut head = 8u64;
                    if vf & 0x1 != 0 {
                        head += 4;
                    }
                    if vf & 0x4 != 0 {
                        head += 4;
                    }
                    let rec = 4 * u64::from((vf & 0xf00).count_ones());
                    check_fits(&h, head, n, rec, "track fragment run")?;
                    let f = st.frags.entry(id).or_default();
                    f.samples = f.samples.saturating_add(n);
                    if vf & 0x100 != 0 {
                        let mut sum = 0u64;
                        let mut kinds = Durations::default();
                        src.records(h.payload + head, n, rec as usize, h.end, |r| {
                            let d = u32_be(r, 0).unwrap_or(0);
                            kinds.add(d, 1);
                            sum = sum.saturating_add(u64::from(d));
                        })?;
                        let f = st.frags.entry(id).or_default();
                        f.duration = f.duration.saturating_add(sum);
                        f.durations.merge(&kinds);
                    } else if let Some(d) = tf_dur {
                        f.duration = f.duration.saturating_add(n.saturating_mul(u64::from(d)));
                        f.durations.add(d, n);
                    } else {
                        f.need_trex = f.need_trex.saturating_add(n);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}
