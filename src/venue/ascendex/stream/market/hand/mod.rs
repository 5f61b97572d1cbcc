//! The hand-written scanner (the hot path): a byte cursor over the frame, JSON values, the market messages' data.

use super::*;
pub(super) use fast::fast_depth;
use fast::*;

mod fast;

pub(super) struct Cur<'a> {
    pub b: &'a [u8],
    pub i: usize,
}

impl<'a> Cur<'a> {
    #[inline]
    fn err<T>(&self) -> R<T> {
        Err(DecodeError::Syntax { at: self.i })
    }

    #[inline(always)]
    pub fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// Skip whitespace and return the next byte without consuming it.
    #[inline(always)]
    pub fn peek(&mut self) -> R<u8> {
        self.ws();
        match self.b.get(self.i) {
            Some(&c) => Ok(c),
            None => self.err(),
        }
    }

    #[inline(always)]
    pub fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            self.err()
        }
    }

    /// After a value inside a container: `,` → true (more), `close` → false.
    #[inline(always)]
    pub fn next_or_close(&mut self, close: u8) -> R<bool> {
        let c = self.peek()?;
        self.i += 1;
        if c == b',' {
            Ok(true)
        } else if c == close {
            Ok(false)
        } else {
            self.i -= 1;
            self.err()
        }
    }

    /// A string at the cursor (after whitespace); validates escapes, control characters and UTF-8.
    #[inline]
    pub fn string(&mut self) -> R<Str<'a>> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            // Eight bytes at a time while none is a quote, a backslash, a control or a non-ASCII byte.
            while let Some(chunk) = self.b.get(self.i..self.i + 8) {
                let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                let special = swar_special(w);
                if special == 0 {
                    self.i += 8;
                } else {
                    self.i += (special.trailing_zeros() / 8) as usize;
                    break;
                }
            }
            let Some(&c) = self.b.get(self.i) else {
                return self.err();
            };
            if c == b'"' {
                let raw = self.b.get(start..self.i).unwrap_or(&[]);
                self.i += 1;
                return Ok(Str { raw, escaped });
            }
            if (0x20..0x80).contains(&c) && c != b'\\' {
                self.i += 1;
                continue;
            }
            if c == b'\\' {
                escaped = true;
                let e = self.b.get(self.i + 1).copied();
                // `\u` must be followed by four hex digits; surrogate pairing is checked only when a string is
                // decoded (sonic-rs does not check it in strings it skips).
                match e {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                    Some(b'u') if hex4(self.b.get(self.i + 2..self.i + 6)).is_some() => self.i += 6,
                    _ => return self.err(),
                }
                continue;
            }
            if c < 0x20 {
                return self.err();
            }
            // Non-ASCII: validate one UTF-8 sequence.
            match utf8_len(self.b, self.i) {
                Some(len) => self.i += len,
                None => return self.err(),
            }
        }
    }

    /// A JSON number token (strict grammar); returns its bytes.
    #[inline]
    pub fn number(&mut self) -> R<&'a [u8]> {
        self.ws();
        let start = self.i;
        let b = self.b;
        let digit = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
        if b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while digit(self.i) {
                    self.i += 1;
                }
            }
            _ => return self.err(),
        }
        if b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digit(self.i) {
                return self.err();
            }
            while digit(self.i) {
                self.i += 1;
            }
        }
        if matches!(b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digit(self.i) {
                return self.err();
            }
            while digit(self.i) {
                self.i += 1;
            }
        }
        Ok(b.get(start..self.i).unwrap_or(&[]))
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            self.err()
        }
    }

    /// Skip one value of any type, validating it, without recursion.
    pub fn skip_value(&mut self) -> R<()> {
        // One bit per open container: 1 = object, 0 = array.
        let mut stack = [0u64; 128];
        let mut depth = 0usize;
        'value: loop {
            match self.peek()? {
                b'{' => {
                    self.i += 1;
                    if self.peek()? == b'}' {
                        self.i += 1;
                    } else {
                        if depth >= stack.len() * 64 {
                            return self.err();
                        }
                        if let Some(w) = stack.get_mut(depth / 64) {
                            *w |= 1 << (depth % 64);
                        }
                        depth += 1;
                        self.string()?;
                        self.eat(b':')?;
                        continue 'value;
                    }
                }
                b'[' => {
                    self.i += 1;
                    if self.peek()? == b']' {
                        self.i += 1;
                    } else {
                        if depth >= stack.len() * 64 {
                            return self.err();
                        }
                        if let Some(w) = stack.get_mut(depth / 64) {
                            *w &= !(1 << (depth % 64));
                        }
                        depth += 1;
                        continue 'value;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => {
                    self.number()?;
                }
            }
            // After a value: close containers until one continues.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let top = depth - 1;
                let is_obj = stack
                    .get(top / 64)
                    .is_some_and(|w| w & (1 << (top % 64)) != 0);
                if self.next_or_close(if is_obj { b'}' } else { b']' })? {
                    if is_obj {
                        self.string()?;
                        self.eat(b':')?;
                    }
                    continue 'value;
                }
                depth -= 1;
            }
        }
    }

    #[inline]
    fn value_str(&mut self, field: &'static str) -> R<Str<'a>> {
        if self.peek()? != b'"' {
            self.skip_value()?;
            return Err(DecodeError::WrongType(field));
        }
        self.string()
    }

    #[inline]
    fn decimal(&mut self, scale: Scale, field: &'static str) -> R<i64> {
        match self.peek()? {
            b'"' => {
                // One pass over plain digits; anything unusual takes the general path below.
                if let Some((v, end)) = parse_scaled_quoted(self.b, self.i + 1, scale) {
                    self.i = end;
                    return Ok(v);
                }
                let s = self.string()?;
                with_str(s, |b| {
                    parse_scaled(b, scale).map_err(|err| DecodeError::Number { field, err })
                })
            }
            b'-' | b'0'..=b'9' => {
                let t = self.number()?;
                parse_scaled(t, scale).map_err(|err| DecodeError::Number { field, err })
            }
            _ => {
                self.skip_value()?;
                Err(DecodeError::WrongType(field))
            }
        }
    }

    #[inline]
    fn uint(&mut self, field: &'static str) -> R<u64> {
        self.integer(field, parse_u64)
    }

    fn int(&mut self, field: &'static str) -> R<i64> {
        self.integer(field, parse_i64)
    }

    /// An integer the exchange may send as a number or as a quoted string.
    #[inline]
    fn integer<T>(&mut self, field: &'static str, parse: fn(&[u8], &'static str) -> R<T>) -> R<T> {
        match self.peek()? {
            b'"' => {
                let s = self.string()?;
                with_str(s, |b| parse(b, field))
            }
            b'-' | b'0'..=b'9' => {
                let t = self.number()?;
                parse(t, field)
            }
            _ => {
                self.skip_value()?;
                Err(DecodeError::WrongType(field))
            }
        }
    }

    fn boolean(&mut self, field: &'static str) -> R<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|_| true),
            b'f' => self.literal(b"false").map(|_| false),
            _ => {
                self.skip_value()?;
                Err(DecodeError::WrongType(field))
            }
        }
    }

    /// `[price, size, ...]`.
    #[inline]
    fn level(&mut self, ps: Scale, qs: Scale, field: &'static str) -> R<Level> {
        if self.peek()? != b'[' {
            self.skip_value()?;
            return Err(DecodeError::WrongType(field));
        }
        self.i += 1;
        let price = self.decimal(ps, "price")?;
        if !self.next_or_close(b']')? {
            return Err(DecodeError::WrongType(field));
        }
        let qty = self.decimal(qs, "size")?;
        while self.next_or_close(b']')? {
            self.skip_value()?;
        }
        Ok(Level {
            price: Price(price),
            qty: Qty(qty),
        })
    }

    /// `[[p,s],...]` into `out`; returns the count.
    #[inline]
    fn levels(&mut self, out: &mut [Level], ps: Scale, qs: Scale, field: &'static str) -> R<usize> {
        if self.peek()? != b'[' {
            self.skip_value()?;
            return Err(DecodeError::WrongType(field));
        }
        self.i += 1;
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(0);
        }
        let mut n = 0;
        loop {
            let l = match self.compact_level(ps, qs) {
                Some(l) => l,
                None => self.level(ps, qs, field)?,
            };
            *out.get_mut(n).ok_or(DecodeError::TooManyLevels)? = l;
            n += 1;
            // The exchange sends compact JSON: `,` straight after the level is the common case.
            if self.b.get(self.i) == Some(&b',') {
                self.i += 1;
                continue;
            }
            if !self.next_or_close(b']')? {
                return Ok(n);
            }
        }
    }

    /// The exchange's exact spelling of a level, `["P","Q"]`, in one pass; `None` (cursor unmoved) for anything
    /// else, which `level` then parses in full.
    #[inline(always)]
    fn compact_level(&mut self, ps: Scale, qs: Scale) -> Option<Level> {
        let b = self.b;
        let i = self.i;
        if b.get(i..i + 2)? != b"[\"" {
            return None;
        }
        let (p, j) = parse_scaled_quoted(b, i + 2, ps)?;
        if b.get(j..j + 2)? != b",\"" {
            return None;
        }
        let (q, k) = parse_scaled_quoted(b, j + 2, qs)?;
        if *b.get(k)? != b']' {
            return None;
        }
        self.i = k + 1;
        Some(Level {
            price: Price(p),
            qty: Qty(q),
        })
    }

    /// A `bid`/`ask` pair that may be empty (`[]`).
    fn opt_level(&mut self, ps: Scale, qs: Scale, field: &'static str) -> R<Option<Level>> {
        if self.peek()? != b'[' {
            self.skip_value()?;
            return Err(DecodeError::WrongType(field));
        }
        let save = self.i;
        self.i += 1;
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(None);
        }
        self.i = save;
        self.level(ps, qs, field).map(Some)
    }

    /// Iterate an object's keys, calling `f(cursor, key)` positioned at each value; `f` consumes the value.
    #[inline]
    pub fn object(&mut self, mut f: impl FnMut(&mut Self, Str<'a>) -> R<()>) -> R<()> {
        if self.peek()? != b'{' {
            return Err(DecodeError::NotObject);
        }
        self.i += 1;
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            f(self, key)?;
            if !self.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }

    fn depth_data(
        &mut self,
        bids: &mut [Level],
        asks: &mut [Level],
        ps: Scale,
        qs: Scale,
    ) -> R<Data<'a>> {
        let (mut seq, mut ts, mut nb, mut na) = (None, None, None, None);
        self.object(|c, k| {
            with_key(k, |key| {
                match key {
                    b"seqnum" => seq = Some(c.uint("seqnum")?),
                    b"ts" => ts = Some(c.uint("ts")?),
                    b"asks" => na = Some(c.levels(asks, ps, qs, "asks")?),
                    b"bids" => nb = Some(c.levels(bids, ps, qs, "bids")?),
                    _ => c.skip_value()?,
                }
                Ok(())
            })
        })
        .map_err(obj_err("data"))?;
        Ok(Data::Depth {
            seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
            ts: ts.ok_or(DecodeError::MissingField("ts"))?,
            nb: nb.ok_or(DecodeError::MissingField("bids"))?,
            na: na.ok_or(DecodeError::MissingField("asks"))?,
        })
    }

    fn bbo_data(&mut self, ps: Scale, qs: Scale) -> R<Data<'a>> {
        let (mut ts, mut bid, mut ask) = (None, None, None);
        self.object(|c, k| {
            with_key(k, |key| {
                match key {
                    b"ts" => ts = Some(c.uint("ts")?),
                    b"bid" => bid = Some(c.opt_level(ps, qs, "bid")?),
                    b"ask" => ask = Some(c.opt_level(ps, qs, "ask")?),
                    _ => c.skip_value()?,
                }
                Ok(())
            })
        })
        .map_err(obj_err("data"))?;
        Ok(Data::Bbo {
            ts: ts.ok_or(DecodeError::MissingField("ts"))?,
            bid: bid.ok_or(DecodeError::MissingField("bid"))?,
            ask: ask.ok_or(DecodeError::MissingField("ask"))?,
        })
    }

    fn trade(&mut self, ps: Scale, qs: Scale) -> R<Trade> {
        let (mut p, mut q, mut ts, mut bm, mut seq) = (None, None, None, None, None);
        self.object(|c, k| {
            with_key(k, |key| {
                match key {
                    b"p" => p = Some(c.decimal(ps, "p")?),
                    b"q" => q = Some(c.decimal(qs, "q")?),
                    b"ts" => ts = Some(c.uint("ts")?),
                    b"bm" => bm = Some(c.boolean("bm")?),
                    b"seqnum" => seq = Some(c.uint("seqnum")?),
                    _ => c.skip_value()?,
                }
                Ok(())
            })
        })
        .map_err(obj_err("data"))?;
        Ok(Trade {
            price: Price(p.ok_or(DecodeError::MissingField("p"))?),
            qty: Qty(q.ok_or(DecodeError::MissingField("q"))?),
            ts: ts.ok_or(DecodeError::MissingField("ts"))?,
            seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
            buyer_is_maker: bm.ok_or(DecodeError::MissingField("bm"))?,
        })
    }

    fn trades_data(&mut self, out: &mut [Trade], ps: Scale, qs: Scale) -> R<Data<'a>> {
        if self.peek()? != b'[' {
            self.skip_value()?;
            return Err(DecodeError::WrongType("data"));
        }
        self.i += 1;
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(Data::Trades { n: 0 });
        }
        let mut n = 0;
        loop {
            let t = self.trade(ps, qs)?;
            *out.get_mut(n).ok_or(DecodeError::TooManyTrades)? = t;
            n += 1;
            if !self.next_or_close(b']')? {
                return Ok(Data::Trades { n });
            }
        }
    }

    fn bar_data(&mut self, ps: Scale, qs: Scale) -> R<Data<'a>> {
        let (mut i, mut ts, mut o, mut h, mut l, mut c_, mut v) =
            (None, None, None, None, None, None, None);
        self.object(|c, k| {
            with_key(k, |key| {
                match key {
                    b"i" => i = Some(c.value_str("i")?.raw),
                    b"ts" => ts = Some(c.uint("ts")?),
                    b"o" => o = Some(c.decimal(ps, "o")?),
                    b"h" => h = Some(c.decimal(ps, "h")?),
                    b"l" => l = Some(c.decimal(ps, "l")?),
                    b"c" => c_ = Some(c.decimal(ps, "c")?),
                    b"v" => v = Some(c.decimal(qs, "v")?),
                    _ => c.skip_value()?,
                }
                Ok(())
            })
        })
        .map_err(obj_err("data"))?;
        let px = |x: Option<i64>, f| x.map(Price).ok_or(DecodeError::MissingField(f));
        Ok(Data::Bar {
            interval: i.ok_or(DecodeError::MissingField("i"))?,
            ts: ts.ok_or(DecodeError::MissingField("ts"))?,
            o: px(o, "o")?,
            h: px(h, "h")?,
            l: px(l, "l")?,
            c: px(c_, "c")?,
            v: Qty(v.ok_or(DecodeError::MissingField("v"))?),
        })
    }

    /// Parse `data` for `kind` at the cursor.
    fn data(&mut self, d: &mut MdDecoder, kind: Kind, ps: Scale, qs: Scale) -> R<Data<'a>> {
        match kind {
            Kind::Depth | Kind::DepthRt | Kind::Snap | Kind::SnapRt => {
                self.depth_data(&mut d.bids, &mut d.asks, ps, qs)
            }
            Kind::Bbo => self.bbo_data(ps, qs),
            Kind::Trades => self.trades_data(&mut d.trades, ps, qs),
            _ => self.bar_data(ps, qs),
        }
    }
}

pub(super) fn parse<'a>(d: &mut MdDecoder, frame: &'a [u8]) -> R<(Top<'a>, Option<Data<'a>>)> {
    let mut c = Cur { b: frame, i: 0 };
    let mut top = Top::default();
    // `data` is parsed as soon as the kind and symbol are known (the exchange sends `m`, `symbol`, `data` in
    // that order); otherwise its span is kept and parsed at the end. A later `m`/`symbol` invalidates it.
    let mut data_at: Option<usize> = None;
    let mut data: Option<Data<'a>> = None;
    c.object(|c, k| {
        with_key(k, |key| {
            match key {
                b"m" => {
                    top.m = Some(c.value_str("m")?);
                    data = None;
                }
                b"symbol" => {
                    top.symbol = Some(c.value_str("symbol")?);
                    data = None;
                }
                b"data" => {
                    c.ws();
                    data_at = Some(c.i);
                    data = None;
                    if let Ok(Some(kind)) = MdDecoder::kind(&top)
                        && kind.is_market()
                        && let Ok((_, ps, qs)) = d.symbol(&top)
                    {
                        let save = c.i;
                        match c.data(d, kind, ps, qs) {
                            Ok(v) => {
                                data = Some(v);
                                return Ok(());
                            }
                            Err(_) => c.i = save,
                        }
                    }
                    c.skip_value()?;
                }
                b"op" => {
                    top.op = Some(c.value_str("op")?);
                    data = None;
                }
                b"s" => {
                    top.s = Some(c.value_str("s")?);
                    data = None;
                }
                b"id" => top.id = Some(c.value_str("id")?.raw),
                b"ch" => top.ch = Some(c.value_str("ch")?.raw),
                b"code" => top.code = Some(c.int("code")?),
                b"reason" => top.reason = Some(c.value_str("reason")?.raw),
                b"info" => top.info = Some(c.value_str("info")?.raw),
                b"type" => top.typ = Some(c.value_str("type")?.raw),
                b"hp" => top.hp = Some(c.uint("hp")?),
                b"ts" => top.ts = Some(c.uint("ts")?),
                _ => c.skip_value()?,
            }
            Ok(())
        })
    })?;
    c.ws();
    if c.i != frame.len() {
        return Err(DecodeError::Syntax { at: c.i });
    }
    if data.is_none()
        && let Some(at) = data_at
    {
        let kind = MdDecoder::kind(&top)?;
        if let Some(kind) = kind.filter(|k| k.is_market()) {
            if top.code.is_some_and(|c| c != 0) {
                return Ok((top, None));
            }
            let (_, ps, qs) = d.symbol(&top)?;
            let mut c = Cur { b: frame, i: at };
            data = Some(c.data(d, kind, ps, qs)?);
        }
    }
    Ok((top, data))
}
