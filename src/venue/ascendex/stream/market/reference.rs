//! The sonic-rs reference parser.

use super::*;
use sonic_rs::{JsonValueTrait, LazyValue};

fn syntax(_: sonic_rs::Error) -> DecodeError {
    DecodeError::Syntax { at: 0 }
}

fn str_of<'a>(v: &LazyValue<'a>, field: &'static str) -> R<Str<'a>> {
    if !v.is_str() {
        return Err(DecodeError::WrongType(field));
    }
    let raw: &'a [u8] = match v.as_raw_cow() {
        std::borrow::Cow::Borrowed(s) => s.as_bytes(),
        std::borrow::Cow::Owned(_) => return Err(DecodeError::WrongType(field)),
    };
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or(&[]);
    Ok(Str {
        raw: inner,
        escaped: inner.contains(&b'\\'),
    })
}

/// The decoded string contents (through sonic-rs), with the shared 64-byte limit for escaped strings.
fn decoded<T>(v: &LazyValue<'_>, field: &'static str, f: impl FnOnce(&[u8]) -> R<T>) -> R<T> {
    let s = str_of(v, field)?;
    let text = v.as_str().ok_or(DecodeError::WrongType(field))?;
    if s.escaped && text.len() > UNESCAPED_MAX {
        return Err(DecodeError::StringTooLong);
    }
    f(text.as_bytes())
}

fn decimal(v: &LazyValue<'_>, scale: Scale, field: &'static str) -> R<i64> {
    let num = |b: &[u8]| parse_scaled(b, scale).map_err(|err| DecodeError::Number { field, err });
    if v.is_str() {
        decoded(v, field, num)
    } else if v.is_number() {
        num(v.as_raw_str().as_bytes().trim_ascii())
    } else {
        Err(DecodeError::WrongType(field))
    }
}

fn uint(v: &LazyValue<'_>, field: &'static str) -> R<u64> {
    if v.is_str() {
        decoded(v, field, |b| parse_u64(b, field))
    } else if v.is_number() {
        parse_u64(v.as_raw_str().as_bytes().trim_ascii(), field)
    } else {
        Err(DecodeError::WrongType(field))
    }
}

fn int(v: &LazyValue<'_>, field: &'static str) -> R<i64> {
    if v.is_str() {
        decoded(v, field, |b| parse_i64(b, field))
    } else if v.is_number() {
        parse_i64(v.as_raw_str().as_bytes().trim_ascii(), field)
    } else {
        Err(DecodeError::WrongType(field))
    }
}

fn key_is(k: &str, name: &str) -> bool {
    k == name
}

fn level(v: LazyValue<'_>, ps: Scale, qs: Scale, field: &'static str) -> R<Option<Level>> {
    let Some(it) = v.into_array_iter() else {
        return Err(DecodeError::WrongType(field));
    };
    let mut price = None;
    let mut qty = None;
    let mut n = 0;
    for e in it {
        let e = e.map_err(syntax)?;
        match n {
            0 => price = Some(decimal(&e, ps, "price")?),
            1 => qty = Some(decimal(&e, qs, "size")?),
            _ => {}
        }
        n += 1;
    }
    match (n, price, qty) {
        (0, _, _) => Ok(None),
        (_, Some(p), Some(q)) => Ok(Some(Level {
            price: Price(p),
            qty: Qty(q),
        })),
        _ => Err(DecodeError::WrongType(field)),
    }
}

fn levels(
    v: LazyValue<'_>,
    out: &mut [Level],
    ps: Scale,
    qs: Scale,
    field: &'static str,
) -> R<usize> {
    let Some(it) = v.into_array_iter() else {
        return Err(DecodeError::WrongType(field));
    };
    let mut n = 0;
    for e in it {
        let e = e.map_err(syntax)?;
        if !e.is_array() {
            return Err(DecodeError::WrongType(field));
        }
        let l = level(e, ps, qs, field)?.ok_or(DecodeError::WrongType(field))?;
        *out.get_mut(n).ok_or(DecodeError::TooManyLevels)? = l;
        n += 1;
    }
    Ok(n)
}

fn obj<'a>(v: LazyValue<'a>, field: &'static str) -> R<sonic_rs::ObjectJsonIter<'a>> {
    v.into_object_iter().ok_or(DecodeError::WrongType(field))
}

fn data<'a>(d: &mut MdDecoder, v: LazyValue<'a>, kind: Kind, ps: Scale, qs: Scale) -> R<Data<'a>> {
    match kind {
        Kind::Depth | Kind::DepthRt | Kind::Snap | Kind::SnapRt => {
            let (mut seq, mut ts, mut nb, mut na) = (None, None, None, None);
            for kv in obj(v, "data")? {
                let (k, v) = kv.map_err(syntax)?;
                match &*k {
                    "seqnum" => seq = Some(uint(&v, "seqnum")?),
                    "ts" => ts = Some(uint(&v, "ts")?),
                    "asks" => na = Some(levels(v, &mut d.asks, ps, qs, "asks")?),
                    "bids" => nb = Some(levels(v, &mut d.bids, ps, qs, "bids")?),
                    _ => {}
                }
            }
            Ok(Data::Depth {
                seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
                ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                nb: nb.ok_or(DecodeError::MissingField("bids"))?,
                na: na.ok_or(DecodeError::MissingField("asks"))?,
            })
        }
        Kind::Bbo => {
            let (mut ts, mut bid, mut ask) = (None, None, None);
            for kv in obj(v, "data")? {
                let (k, v) = kv.map_err(syntax)?;
                match &*k {
                    "ts" => ts = Some(uint(&v, "ts")?),
                    "bid" => bid = Some(level(v, ps, qs, "bid")?),
                    "ask" => ask = Some(level(v, ps, qs, "ask")?),
                    _ => {}
                }
            }
            Ok(Data::Bbo {
                ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                bid: bid.ok_or(DecodeError::MissingField("bid"))?,
                ask: ask.ok_or(DecodeError::MissingField("ask"))?,
            })
        }
        Kind::Trades => {
            let Some(it) = v.into_array_iter() else {
                return Err(DecodeError::WrongType("data"));
            };
            let mut n = 0;
            for e in it {
                let e = e.map_err(syntax)?;
                let (mut p, mut q, mut ts, mut bm, mut seq) = (None, None, None, None, None);
                for kv in obj(e, "data")? {
                    let (k, v) = kv.map_err(syntax)?;
                    match &*k {
                        "p" => p = Some(decimal(&v, ps, "p")?),
                        "q" => q = Some(decimal(&v, qs, "q")?),
                        "ts" => ts = Some(uint(&v, "ts")?),
                        "bm" => bm = Some(v.as_bool().ok_or(DecodeError::WrongType("bm"))?),
                        "seqnum" => seq = Some(uint(&v, "seqnum")?),
                        _ => {}
                    }
                }
                let t = Trade {
                    price: Price(p.ok_or(DecodeError::MissingField("p"))?),
                    qty: Qty(q.ok_or(DecodeError::MissingField("q"))?),
                    ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                    seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
                    buyer_is_maker: bm.ok_or(DecodeError::MissingField("bm"))?,
                };
                *d.trades.get_mut(n).ok_or(DecodeError::TooManyTrades)? = t;
                n += 1;
            }
            Ok(Data::Trades { n })
        }
        _ => {
            let (mut i, mut ts, mut o, mut h, mut l, mut c, mut vv) =
                (None, None, None, None, None, None, None);
            for kv in obj(v, "data")? {
                let (k, v) = kv.map_err(syntax)?;
                match &*k {
                    "i" => i = Some(str_of(&v, "i")?.raw),
                    "ts" => ts = Some(uint(&v, "ts")?),
                    "o" => o = Some(decimal(&v, ps, "o")?),
                    "h" => h = Some(decimal(&v, ps, "h")?),
                    "l" => l = Some(decimal(&v, ps, "l")?),
                    "c" => c = Some(decimal(&v, ps, "c")?),
                    "v" => vv = Some(decimal(&v, qs, "v")?),
                    _ => {}
                }
            }
            let px = |x: Option<i64>, f| x.map(Price).ok_or(DecodeError::MissingField(f));
            Ok(Data::Bar {
                interval: i.ok_or(DecodeError::MissingField("i"))?,
                ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                o: px(o, "o")?,
                h: px(h, "h")?,
                l: px(l, "l")?,
                c: px(c, "c")?,
                v: Qty(vv.ok_or(DecodeError::MissingField("v"))?),
            })
        }
    }
}

fn check_unicode_escapes(frame: &[u8]) -> R<()> {
    let mut i = 0;
    while let Some(&c) = frame.get(i) {
        if c == b'\\' {
            if frame.get(i + 1) == Some(&b'u') && hex4(frame.get(i + 2..i + 6)).is_none() {
                return Err(DecodeError::Syntax { at: i });
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    Ok(())
}

pub(super) fn parse<'a>(d: &mut MdDecoder, frame: &'a [u8]) -> R<(Top<'a>, Option<Data<'a>>)> {
    // sonic-rs checks `\u` escapes only in strings it decodes, and not consistently in the ones it skips; the
    // reference requires four hex digits everywhere, as JSON does.
    check_unicode_escapes(frame)?;
    // sonic-rs without its `utf8` feature does not validate UTF-8, and `from_slice` into a `LazyValue` panics on a
    // top-level string that is not UTF-8 (found by the md_agree fuzz target); JSON text must be UTF-8 anyway.
    if let Err(e) = std::str::from_utf8(frame) {
        return Err(DecodeError::Syntax {
            at: e.valid_up_to(),
        });
    }
    // Whole-document validation first (trailing bytes included), then lazy iteration over the borrowed input.
    let whole: LazyValue<'a> = sonic_rs::from_slice(frame).map_err(syntax)?;
    if !whole.is_object() {
        return Err(DecodeError::NotObject);
    }
    let mut top = Top::default();
    let mut data_v: Option<LazyValue<'a>> = None;
    for kv in sonic_rs::to_object_iter(frame) {
        let (k, v) = kv.map_err(syntax)?;
        let k: &str = &k;
        if key_is(k, "m") {
            top.m = Some(str_of(&v, "m")?);
        } else if key_is(k, "symbol") {
            top.symbol = Some(str_of(&v, "symbol")?);
        } else if key_is(k, "data") {
            data_v = Some(v);
        } else if key_is(k, "op") {
            top.op = Some(str_of(&v, "op")?);
        } else if key_is(k, "s") {
            top.s = Some(str_of(&v, "s")?);
        } else if key_is(k, "id") {
            top.id = Some(str_of(&v, "id")?.raw);
        } else if key_is(k, "ch") {
            top.ch = Some(str_of(&v, "ch")?.raw);
        } else if key_is(k, "code") {
            top.code = Some(int(&v, "code")?);
        } else if key_is(k, "reason") {
            top.reason = Some(str_of(&v, "reason")?.raw);
        } else if key_is(k, "info") {
            top.info = Some(str_of(&v, "info")?.raw);
        } else if key_is(k, "type") {
            top.typ = Some(str_of(&v, "type")?.raw);
        } else if key_is(k, "hp") {
            top.hp = Some(uint(&v, "hp")?);
        } else if key_is(k, "ts") {
            top.ts = Some(uint(&v, "ts")?);
        }
    }
    let mut data_out = None;
    if let Some(v) = data_v {
        let kind = MdDecoder::kind(&top)?;
        if let Some(kind) = kind.filter(|k| k.is_market())
            && top.code.is_none_or(|c| c == 0)
        {
            let (_, ps, qs) = d.symbol(&top)?;
            data_out = Some(data(d, v, kind, ps, qs)?);
        }
    }
    Ok((top, data_out))
}
