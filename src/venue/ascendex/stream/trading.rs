//! Trading stream messages: order requests out (place, cancel, cancel-all, open-order), and in: request replies,
//! `order` and `balance` pushes, `open-order` replies, `auth` replies, `error` and session messages.
//!
//! Frames are written into a caller's reused `Vec<u8>` (cleared first; no allocation once its capacity suffices)
//! and decoded from the borrowed frame bytes with [`json`], a small validating scanner that allocates nothing.
//! sonic-rs's lazy iterators allocate a key buffer per object, which the hot path cannot afford; the tests check
//! the scanner against sonic-rs on the same inputs. Decimal strings become scaled integers through the caller's
//! [`Scales`] table (per-symbol price/quantity/fee scales, per-asset balance scales).
//!
//! Typical session (one thread, reused buffers):
//! - authenticate: `Signer::headers(ts, ApiPath::Stream)` on the upgrade, or `Signer::write_ws_auth` after it;
//!   then [`write_subscribe_orders`];
//! - build a [`ScaleTable`] once (`ScaleTable::from_rules`) and an [`OrderEntry`] (client-id generator, userUID);
//!   the session (`session::trading`) drives its orders through the same [`OrderEntry`];
//! - place / cancel: [`OrderEntry::place`] / [`OrderEntry::cancel`] write the frame and update the tracker;
//! - every text frame: [`decode`], then [`OrderEntry::on_message`] (orders, fills, balances); `Ping` → send
//!   [`PONG`]; `Auth`, `Error`, `Disconnected` and `Other` are the caller's.

use std::fmt;

use crate::orders::scaled::{MAX_FORMATTED, ScaledError, format_scaled, parse_scaled};
use crate::orders::{
    AssetId, ClientId, OrderId, OrderKind, OrderUpdate, ReportedStatus, Side, Source, SymbolId,
};
use crate::orders::{TimeInForce, types::MAX_ID_LEN};

pub mod json {
    //! A validating, non-allocating JSON scanner over borrowed bytes: enough to walk objects and arrays and hand
    //! out raw string contents and number text. Strings are returned undecoded (escapes left as they are): the
    //! fields we read (ids, symbols, decimals, statuses) never contain escapes, and a value that does simply fails
    //! to parse as what it should be.

    use std::fmt;

    /// Deepest nesting accepted; deeper input is refused rather than recursed into.
    pub const MAX_DEPTH: usize = 32;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum JsonError {
        /// Input ended inside a value.
        Truncated,
        /// A byte that cannot start or continue a value at `at`.
        Unexpected { at: usize },
        /// Nested deeper than [`MAX_DEPTH`].
        TooDeep,
        /// Something after the top-level value.
        TrailingData { at: usize },
        /// A raw control character inside a string.
        ControlInString { at: usize },
    }

    impl fmt::Display for JsonError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                JsonError::Truncated => f.write_str("JSON truncated"),
                JsonError::Unexpected { at } => write!(f, "unexpected byte at offset {at}"),
                JsonError::TooDeep => write!(f, "JSON nested deeper than {MAX_DEPTH}"),
                JsonError::TrailingData { at } => {
                    write!(f, "data after the JSON value at offset {at}")
                }
                JsonError::ControlInString { at } => {
                    write!(f, "control character in a string at offset {at}")
                }
            }
        }
    }

    impl std::error::Error for JsonError {}

    /// A value, borrowed from the input.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Value<'a> {
        /// The bytes between the quotes, escapes not decoded.
        Str(&'a [u8]),
        /// The number's text.
        Num(&'a [u8]),
        Bool(bool),
        Null,
        /// The whole object text, braces included.
        Obj(&'a [u8]),
        /// The whole array text, brackets included.
        Arr(&'a [u8]),
    }

    impl<'a> Value<'a> {
        pub fn as_str_bytes(&self) -> Option<&'a [u8]> {
            match *self {
                Value::Str(s) => Some(s),
                _ => None,
            }
        }

        /// A string as `&str` (valid UTF-8 only).
        pub fn as_str(&self) -> Option<&'a str> {
            self.as_str_bytes()
                .and_then(|b| std::str::from_utf8(b).ok())
        }

        /// An integer given either as a JSON number or as a string of digits (real responses do both).
        pub fn as_i64(&self) -> Option<i64> {
            let b = match *self {
                Value::Num(b) | Value::Str(b) => b,
                _ => return None,
            };
            parse_i64(b)
        }

        pub fn as_u64(&self) -> Option<u64> {
            self.as_i64().and_then(|v| u64::try_from(v).ok())
        }

        pub fn as_bool(&self) -> Option<bool> {
            match *self {
                Value::Bool(b) => Some(b),
                _ => None,
            }
        }
    }

    /// Decimal integer with optional leading `-`, no other characters.
    pub fn parse_i64(b: &[u8]) -> Option<i64> {
        let (neg, digits) = match b.split_first()? {
            (b'-', rest) => (true, rest),
            _ => (false, b),
        };
        if digits.is_empty() || digits.len() > 19 {
            return None;
        }
        let mut v: i64 = 0;
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v.checked_mul(10)?.checked_sub((c - b'0') as i64)?;
        }
        if neg { Some(v) } else { v.checked_neg() }
    }

    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;

    /// High bit set in the lowest byte of `w` that is `"`, `\\` or below 0x20 (SWAR has-zero-byte and
    /// has-less-than tests). Bits above the lowest one may be spurious (borrows); the lowest is exact.
    #[inline]
    fn special_mask(w: u64) -> u64 {
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let quote = zero(w ^ (ONES * b'"' as u64));
        let backslash = zero(w ^ (ONES * b'\\' as u64));
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        quote | backslash | control
    }

    struct Cursor<'a> {
        b: &'a [u8],
        i: usize,
    }

    impl<'a> Cursor<'a> {
        #[inline]
        fn ws(&mut self) {
            while let Some(&c) = self.b.get(self.i) {
                if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                    self.i += 1;
                } else {
                    break;
                }
            }
        }

        #[inline]
        fn peek(&self) -> Result<u8, JsonError> {
            self.b.get(self.i).copied().ok_or(JsonError::Truncated)
        }

        #[inline]
        fn expect(&mut self, c: u8) -> Result<(), JsonError> {
            if self.peek()? == c {
                self.i += 1;
                Ok(())
            } else {
                Err(JsonError::Unexpected { at: self.i })
            }
        }

        #[inline]
        /// At an opening quote: returns the contents and moves past the closing quote.
        fn string(&mut self) -> Result<&'a [u8], JsonError> {
            self.expect(b'"')?;
            let b = self.b;
            let start = self.i;
            let mut i = start;
            loop {
                // Eight bytes at a time while none of them is a quote, a backslash or a control character.
                while let Some(chunk) = b.get(i..i + 8) {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(chunk);
                    let m = special_mask(u64::from_le_bytes(w));
                    if m != 0 {
                        // Jump straight to the first special byte.
                        i += (m.trailing_zeros() / 8) as usize;
                        break;
                    }
                    i += 8;
                }
                match b.get(i) {
                    None => return Err(JsonError::Truncated),
                    Some(b'"') => {
                        self.i = i + 1;
                        return Ok(&b[start..i]);
                    }
                    Some(b'\\') => {
                        i += 1;
                        match b.get(i) {
                            None => return Err(JsonError::Truncated),
                            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 1,
                            Some(b'u') => {
                                i += 1;
                                for _ in 0..4 {
                                    match b.get(i) {
                                        None => return Err(JsonError::Truncated),
                                        Some(h) if h.is_ascii_hexdigit() => i += 1,
                                        Some(_) => return Err(JsonError::Unexpected { at: i }),
                                    }
                                }
                            }
                            Some(_) => return Err(JsonError::Unexpected { at: i }),
                        }
                    }
                    Some(0..=0x1f) => return Err(JsonError::ControlInString { at: i }),
                    Some(_) => i += 1,
                }
            }
        }

        #[inline]
        fn digits(&mut self) -> Result<usize, JsonError> {
            let s = self.i;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            Ok(self.i - s)
        }

        #[inline]
        fn number(&mut self) -> Result<&'a [u8], JsonError> {
            let start = self.i;
            if self.peek()? == b'-' {
                self.i += 1;
            }
            let first = self.peek()?;
            let n = self.digits()?;
            if n == 0 || (first == b'0' && n > 1) {
                return Err(JsonError::Unexpected { at: start });
            }
            if self.b.get(self.i) == Some(&b'.') {
                self.i += 1;
                if self.digits()? == 0 {
                    return Err(if self.i >= self.b.len() {
                        JsonError::Truncated
                    } else {
                        JsonError::Unexpected { at: self.i }
                    });
                }
            }
            if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
                self.i += 1;
                if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                    self.i += 1;
                }
                if self.digits()? == 0 {
                    return Err(if self.i >= self.b.len() {
                        JsonError::Truncated
                    } else {
                        JsonError::Unexpected { at: self.i }
                    });
                }
            }
            Ok(&self.b[start..self.i])
        }

        #[inline]
        fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
            for &c in word {
                if self.peek()? != c {
                    return Err(JsonError::Unexpected { at: self.i });
                }
                self.i += 1;
            }
            Ok(())
        }

        /// Skips a nested object or array checking only that strings are well formed and brackets balance and
        /// match: much cheaper than full validation. Used for values a field iterator hands out; whoever reads
        /// such a value iterates it with [`fields`]/[`elements`], which validate it then.
        fn skip_balanced(&mut self) -> Result<(), JsonError> {
            let b = self.b;
            let mut i = self.i;
            let mut depth = 0usize;
            // Bit k set: the container opened at depth k is an object.
            let mut kinds: u64 = 0;
            loop {
                match b.get(i) {
                    None => return Err(JsonError::Truncated),
                    Some(b'"') => {
                        self.i = i;
                        self.string()?;
                        i = self.i;
                        continue;
                    }
                    Some(&c @ (b'{' | b'[')) => {
                        if depth >= MAX_DEPTH {
                            return Err(JsonError::TooDeep);
                        }
                        if c == b'{' {
                            kinds |= 1 << depth;
                        } else {
                            kinds &= !(1 << depth);
                        }
                        depth += 1;
                    }
                    Some(&c @ (b'}' | b']')) => {
                        if depth == 0 {
                            return Err(JsonError::Unexpected { at: i });
                        }
                        depth -= 1;
                        let is_obj = kinds & (1 << depth) != 0;
                        if is_obj != (c == b'}') {
                            return Err(JsonError::Unexpected { at: i });
                        }
                        if depth == 0 {
                            self.i = i + 1;
                            return Ok(());
                        }
                    }
                    Some(0..=0x1f) if !matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) => {
                        return Err(JsonError::Unexpected { at: i });
                    }
                    Some(_) => {}
                }
                i += 1;
            }
        }

        #[inline]
        /// A value whose nested containers are only checked for balance (see [`Self::skip_balanced`]).
        fn value_shallow(&mut self) -> Result<Value<'a>, JsonError> {
            self.ws();
            match self.peek()? {
                b'{' => {
                    let start = self.i;
                    self.skip_balanced()?;
                    Ok(Value::Obj(&self.b[start..self.i]))
                }
                b'[' => {
                    let start = self.i;
                    self.skip_balanced()?;
                    Ok(Value::Arr(&self.b[start..self.i]))
                }
                _ => self.value(0),
            }
        }

        fn value(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
            self.ws();
            match self.peek()? {
                b'"' => self.string().map(Value::Str),
                b'{' => {
                    let start = self.i;
                    self.skip_object(depth + 1)?;
                    Ok(Value::Obj(&self.b[start..self.i]))
                }
                b'[' => {
                    let start = self.i;
                    self.skip_array(depth + 1)?;
                    Ok(Value::Arr(&self.b[start..self.i]))
                }
                b't' => self.literal(b"true").map(|_| Value::Bool(true)),
                b'f' => self.literal(b"false").map(|_| Value::Bool(false)),
                b'n' => self.literal(b"null").map(|_| Value::Null),
                b'-' | b'0'..=b'9' => self.number().map(Value::Num),
                _ => Err(JsonError::Unexpected { at: self.i }),
            }
        }

        fn skip_object(&mut self, depth: usize) -> Result<(), JsonError> {
            if depth > MAX_DEPTH {
                return Err(JsonError::TooDeep);
            }
            self.expect(b'{')?;
            self.ws();
            if self.peek()? == b'}' {
                self.i += 1;
                return Ok(());
            }
            loop {
                self.ws();
                self.string()?;
                self.ws();
                self.expect(b':')?;
                self.value(depth)?;
                self.ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        return Ok(());
                    }
                    _ => return Err(JsonError::Unexpected { at: self.i }),
                }
            }
        }

        fn skip_array(&mut self, depth: usize) -> Result<(), JsonError> {
            if depth > MAX_DEPTH {
                return Err(JsonError::TooDeep);
            }
            self.expect(b'[')?;
            self.ws();
            if self.peek()? == b']' {
                self.i += 1;
                return Ok(());
            }
            loop {
                self.value(depth)?;
                self.ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        return Ok(());
                    }
                    _ => return Err(JsonError::Unexpected { at: self.i }),
                }
            }
        }
    }

    /// Parses exactly one JSON value (surrounding whitespace allowed).
    pub fn parse(input: &[u8]) -> Result<Value<'_>, JsonError> {
        let mut c = Cursor { b: input, i: 0 };
        let v = c.value(0)?;
        c.ws();
        if c.i != input.len() {
            return Err(JsonError::TrailingData { at: c.i });
        }
        Ok(v)
    }

    /// Reads a top-level object one field at a time, in a single pass: [`ObjectReader::next_key`], then either
    /// [`ObjectReader::value`] or (for a nested object read in the same pass) [`ObjectReader::object_fields`].
    pub struct ObjectReader<'a> {
        c: Cursor<'a>,
        // 0 = before '{', 1 = first key next, 2 = separator next, 3 = value next, 4 = done
        state: u8,
    }

    impl<'a> ObjectReader<'a> {
        pub fn new(input: &'a [u8]) -> ObjectReader<'a> {
            ObjectReader {
                c: Cursor { b: input, i: 0 },
                state: 0,
            }
        }

        /// The next key, or `None` after the closing brace (and only whitespace after it).
        pub fn next_key(&mut self) -> Result<Option<&'a [u8]>, JsonError> {
            let c = &mut self.c;
            match self.state {
                0 => {
                    c.ws();
                    c.expect(b'{')?;
                    c.ws();
                    if c.peek()? == b'}' {
                        c.i += 1;
                        self.state = 4;
                        return finish(c).map(|_| None);
                    }
                }
                1 => {}
                2 => {
                    c.ws();
                    match c.peek()? {
                        b',' => c.i += 1,
                        b'}' => {
                            c.i += 1;
                            self.state = 4;
                            return finish(c).map(|_| None);
                        }
                        _ => return Err(JsonError::Unexpected { at: c.i }),
                    }
                }
                3 => return Err(JsonError::Unexpected { at: c.i }),
                _ => return Ok(None),
            }
            c.ws();
            let k = c.string()?;
            c.ws();
            c.expect(b':')?;
            self.state = 3;
            Ok(Some(k))
        }

        /// The current key's value (nested containers checked for balance only).
        pub fn value(&mut self) -> Result<Value<'a>, JsonError> {
            if self.state != 3 {
                return Err(JsonError::Unexpected { at: self.c.i });
            }
            let v = self.c.value_shallow()?;
            self.state = 2;
            Ok(v)
        }

        /// If the current key's value is an object, calls `f` for each of its fields (validating it as it goes)
        /// and returns `true`; otherwise consumes nothing and returns `false` (read it with [`Self::value`]).
        pub fn object_fields(
            &mut self,
            mut f: impl FnMut(&'a [u8], Value<'a>),
        ) -> Result<bool, JsonError> {
            if self.state != 3 {
                return Err(JsonError::Unexpected { at: self.c.i });
            }
            let c = &mut self.c;
            c.ws();
            if c.peek()? != b'{' {
                return Ok(false);
            }
            c.i += 1;
            c.ws();
            if c.peek()? == b'}' {
                c.i += 1;
                self.state = 2;
                return Ok(true);
            }
            loop {
                c.ws();
                let k = c.string()?;
                c.ws();
                c.expect(b':')?;
                let v = c.value_shallow()?;
                f(k, v);
                c.ws();
                match c.peek()? {
                    b',' => c.i += 1,
                    b'}' => {
                        c.i += 1;
                        self.state = 2;
                        return Ok(true);
                    }
                    _ => return Err(JsonError::Unexpected { at: c.i }),
                }
            }
        }
    }

    /// Iterates the fields of an object text (as returned in [`Value::Obj`], or a whole frame): an
    /// [`ObjectReader`] read one key and value at a time. The object's own grammar is validated as it goes;
    /// nested objects and arrays are only checked for balanced brackets and well-formed strings until they are
    /// iterated themselves.
    pub struct Fields<'a> {
        r: ObjectReader<'a>,
        done: bool,
    }

    pub fn fields(obj: &[u8]) -> Fields<'_> {
        Fields {
            r: ObjectReader::new(obj),
            done: false,
        }
    }

    impl<'a> Iterator for Fields<'a> {
        type Item = Result<(&'a [u8], Value<'a>), JsonError>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.done {
                return None;
            }
            let r = match self.r.next_key() {
                Ok(Some(k)) => self.r.value().map(|v| Some((k, v))),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            match r {
                Ok(Some(kv)) => Some(Ok(kv)),
                Ok(None) => {
                    self.done = true;
                    None
                }
                Err(e) => {
                    self.done = true;
                    Some(Err(e))
                }
            }
        }
    }

    fn finish(c: &mut Cursor<'_>) -> Result<(), JsonError> {
        c.ws();
        if c.i != c.b.len() {
            Err(JsonError::TrailingData { at: c.i })
        } else {
            Ok(())
        }
    }

    /// Iterates the elements of an array text.
    pub struct Elements<'a> {
        c: Cursor<'a>,
        state: u8,
    }

    pub fn elements(arr: &[u8]) -> Elements<'_> {
        Elements {
            c: Cursor { b: arr, i: 0 },
            state: 0,
        }
    }

    impl<'a> Iterator for Elements<'a> {
        type Item = Result<Value<'a>, JsonError>;

        fn next(&mut self) -> Option<Self::Item> {
            let r = self.step();
            match r {
                Ok(v) => v.map(Ok),
                Err(e) => {
                    self.state = 2;
                    Some(Err(e))
                }
            }
        }
    }

    impl<'a> Elements<'a> {
        fn step(&mut self) -> Result<Option<Value<'a>>, JsonError> {
            let c = &mut self.c;
            match self.state {
                2 => return Ok(None),
                0 => {
                    c.ws();
                    c.expect(b'[')?;
                    c.ws();
                    self.state = 1;
                    if c.peek()? == b']' {
                        c.i += 1;
                        self.state = 2;
                        return finish(c).map(|_| None);
                    }
                }
                _ => {}
            }
            let v = c.value_shallow()?;
            c.ws();
            match c.peek()? {
                b',' => c.i += 1,
                b']' => {
                    c.i += 1;
                    self.state = 2;
                    finish(c)?;
                }
                _ => return Err(JsonError::Unexpected { at: c.i }),
            }
            Ok(Some(v))
        }
    }
}

use json::{JsonError, Value};

// ---------------------------------------------------------------------------------------------------------------
// Scales

/// An asset's index and balance scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetScale {
    pub id: AssetId,
    pub scale: u8,
}

/// A symbol's index and the scales of its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolScales {
    pub id: SymbolId,
    pub price: u8,
    pub qty: u8,
    /// Scale of `cf` (cumulative fee) values.
    pub fee: u8,
    pub base: AssetScale,
    pub quote: AssetScale,
}

/// Where the decoder finds scales; look-ups must not allocate.
pub trait Scales {
    fn symbol(&self, name: &[u8]) -> Option<SymbolScales>;
    fn asset(&self, name: &[u8]) -> Option<AssetScale>;
}

/// A small linear table (a handful of symbols per engine: a scan beats hashing here).
#[derive(Debug, Clone, Default)]
pub struct ScaleTable {
    symbols: Vec<(Box<[u8]>, SymbolScales)>,
    assets: Vec<(Box<[u8]>, AssetScale)>,
}

impl ScaleTable {
    pub fn new() -> ScaleTable {
        ScaleTable::default()
    }

    /// Adds an asset (or returns its existing entry).
    pub fn add_asset(&mut self, name: &str, scale: u8) -> AssetScale {
        if let Some(a) = self.asset(name.as_bytes()) {
            return a;
        }
        let a = AssetScale {
            id: AssetId(self.assets.len() as u16),
            scale,
        };
        self.assets.push((name.as_bytes().into(), a));
        a
    }

    pub fn add_symbol(&mut self, name: &str, s: SymbolScales) {
        self.symbols.retain(|(n, _)| &**n != name.as_bytes());
        self.symbols.push((name.as_bytes().into(), s));
    }

    /// From trading rules: price/quantity scales per symbol, `asset_scale(asset)` for balances (e.g. the
    /// currencies' `precisionScale`), and one fee scale for every symbol.
    pub fn from_rules(
        rules: &crate::venue::ascendex::rules::RulesTable,
        asset_scale: impl Fn(&str) -> u8,
        fee_scale: u8,
    ) -> ScaleTable {
        let mut t = ScaleTable::new();
        for (id, r) in rules.iter() {
            let base = t.add_asset(&r.base, asset_scale(&r.base));
            let quote = t.add_asset(&r.quote, asset_scale(&r.quote));
            t.add_symbol(
                &r.symbol,
                SymbolScales {
                    id,
                    price: r.price_scale,
                    qty: r.qty_scale,
                    fee: fee_scale,
                    base,
                    quote,
                },
            );
        }
        t
    }

    pub fn asset_count(&self) -> usize {
        self.assets.len()
    }
}

impl Scales for ScaleTable {
    fn symbol(&self, name: &[u8]) -> Option<SymbolScales> {
        self.symbols
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, s)| *s)
    }

    fn asset(&self, name: &[u8]) -> Option<AssetScale> {
        self.assets
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, a)| *a)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/// Why an inbound message could not be decoded. Every variant is a count-and-skip case for the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    Json(JsonError),
    /// The frame is not a JSON object.
    NotObject,
    /// A required field is absent.
    Missing(&'static str),
    /// A field has the wrong type or an unknown value.
    Bad(&'static str),
    /// A decimal field does not fit its scale.
    Decimal(&'static str, ScaledError),
    /// The symbol is not in the scale table.
    UnknownSymbol,
    /// An asset is not in the scale table.
    UnknownAsset,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Json(e) => write!(f, "malformed JSON: {e}"),
            DecodeError::NotObject => f.write_str("message is not a JSON object"),
            DecodeError::Missing(k) => write!(f, "field {k:?} missing"),
            DecodeError::Bad(k) => write!(f, "field {k:?} has a bad type or value"),
            DecodeError::Decimal(k, e) => write!(f, "field {k:?}: {e}"),
            DecodeError::UnknownSymbol => f.write_str("symbol not in the scale table"),
            DecodeError::UnknownAsset => f.write_str("asset not in the scale table"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<JsonError> for DecodeError {
    fn from(e: JsonError) -> Self {
        DecodeError::Json(e)
    }
}

/// Why a request could not be encoded (nothing was written that could be sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The symbol contains characters that cannot appear in a JSON string unescaped.
    BadSymbol,
    /// A price or quantity could not be formatted at its scale.
    Decimal(ScaledError),
    /// A limit order without a positive price, or a non-positive quantity.
    BadOrder,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BadSymbol => {
                f.write_str("symbol contains quotes, backslashes or control characters")
            }
            EncodeError::Decimal(e) => write!(f, "cannot format a decimal: {e}"),
            EncodeError::BadOrder => {
                f.write_str("order needs a positive quantity (and a positive limit price)")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/// Which account an order request acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Cash,
    Margin,
}

impl Account {
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Cash => "cash",
            Account::Margin => "margin",
        }
    }
}

/// How long the exchange waits before answering a new order (README §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespInst {
    /// Receipt only (default; lowest latency).
    Ack,
    /// After the matching engine accepted it.
    Accept,
    /// After it filled or was rejected.
    Done,
}

impl RespInst {
    fn as_str(self) -> &'static str {
        match self {
            RespInst::Ack => "ACK",
            RespInst::Accept => "ACCEPT",
            RespInst::Done => "DONE",
        }
    }
}

/// A new order, quantized (see `rules`): integers at the symbol's scales.
#[derive(Debug, Clone, Copy)]
pub struct PlaceOrder<'a> {
    pub client_id: &'a ClientId,
    /// Exchange-clock milliseconds (local + offset); also the timestamp inside the predicted order id.
    pub time_ms: u64,
    /// What is ordered (symbol, side, kind, price, size, flags), as the tracker records it too.
    pub spec: OrderSpec<'a>,
    pub resp_inst: RespInst,
}

/// Goes into a JSON string without escaping (no quote, backslash or control character).
pub(crate) fn json_safe(s: &[u8]) -> bool {
    s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Decimal digits of `v` (no allocation once `out` has room).
pub(crate) fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 20];
    let n = crate::num::format_u64(v, &mut tmp).unwrap_or(0);
    out.extend_from_slice(tmp.get(..n).unwrap_or_default());
}

fn push_str_field(out: &mut Vec<u8>, key: &[u8], val: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(key);
    out.extend_from_slice(b"\":\"");
    out.extend_from_slice(val);
    out.push(b'"');
}

/// Longest symbol an order frame carries (the exchange's are under 20 bytes); longer ones are refused as
/// `BadSymbol`, which keeps the frame inside `OrderPieces`'s stack buffer.
const MAX_SYMBOL: usize = 64;

/// An order object assembled on the stack: each piece is one bounds-checked copy (the literal ones compile to a
/// few stores), and the finished object reaches the caller's `Vec` in one copy. Appending piece by piece to the
/// `Vec` cost a capacity check and often a `memcpy` call each (callgrind: ~1,500 instructions per order).
struct OrderPieces<'a> {
    // Borrowed rather than owned: the copies take pointers into the buffer, and a cursor kept apart from it stays
    // in a register instead of being stored and reloaded around every copy.
    buf: &'a mut [u8; 512],
    len: usize,
}

impl OrderPieces<'_> {
    #[inline(always)]
    fn put(&mut self, s: &[u8]) {
        // The inputs are bounded (client id 40, symbol 64, decimals 41 each, the rest literals) so the frame fits;
        // a piece that would not is dropped and `finish` refuses the frame instead of writing a truncated one.
        if let Some(d) = self.buf.get_mut(self.len..self.len + s.len()) {
            d.copy_from_slice(s);
            self.len += s.len();
        } else {
            self.len = usize::MAX / 2;
        }
    }

    #[inline(always)]
    fn str_field(&mut self, key: &[u8], val: &[u8]) {
        self.put(b"\"");
        self.put(key);
        self.put(b"\":\"");
        self.put(val);
        self.put(b"\"");
    }

    #[inline(always)]
    fn decimal(&mut self, mantissa: i64, scale: u8) -> Result<(), EncodeError> {
        let mut tmp = [0u8; MAX_FORMATTED];
        let n = format_scaled(mantissa, scale, &mut tmp).map_err(EncodeError::Decimal)?;
        self.put(tmp.get(..n).unwrap_or_default());
        Ok(())
    }

    #[inline(always)]
    fn u64(&mut self, v: u64) {
        let mut tmp = [0u8; 20];
        let n = crate::num::format_u64(v, &mut tmp).unwrap_or(0);
        self.put(tmp.get(..n).unwrap_or_default());
    }

    fn finish(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let done = self.buf.get(..self.len).ok_or(EncodeError::BadSymbol)?;
        out.extend_from_slice(done);
        Ok(())
    }
}

/// Writes the order object shared by WebSocket `args` and the REST body:
/// `{"time":..,"id":"..","symbol":"..","orderPrice":"..","orderQty":"..","orderType":"limit","side":"buy",...}`.
/// Appends to `out` (does not clear it).
pub fn write_order_object(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError> {
    let symbol = o.spec.symbol.as_bytes();
    if !json_safe(symbol) || symbol.is_empty() || symbol.len() > MAX_SYMBOL {
        return Err(EncodeError::BadSymbol);
    }
    let has_price = matches!(o.spec.kind, OrderKind::Limit | OrderKind::StopLimit);
    let has_stop = matches!(o.spec.kind, OrderKind::StopLimit | OrderKind::StopMarket);
    if o.spec.qty <= 0
        || (has_price && o.spec.price <= 0)
        || (has_stop && o.spec.stop_price.is_none_or(|p| p <= 0))
    {
        return Err(EncodeError::BadOrder);
    }
    let mut buf = [0u8; 512];
    let mut w = OrderPieces {
        buf: &mut buf,
        len: 0,
    };
    w.put(b"{\"time\":");
    w.u64(o.time_ms);
    w.put(b",");
    w.str_field(b"id", o.client_id.as_bytes());
    w.put(b",");
    w.str_field(b"symbol", symbol);
    if has_price {
        w.put(b",\"orderPrice\":\"");
        w.decimal(o.spec.price, o.spec.price_scale)?;
        w.put(b"\"");
    }
    if has_stop {
        w.put(b",\"stopPrice\":\"");
        w.decimal(o.spec.stop_price.unwrap_or(0), o.spec.price_scale)?;
        w.put(b"\"");
    }
    w.put(b",\"orderQty\":\"");
    w.decimal(o.spec.qty, o.spec.qty_scale)?;
    w.put(b"\",");
    let kind: &[u8] = match o.spec.kind {
        OrderKind::Limit => b"limit",
        OrderKind::Market => b"market",
        OrderKind::StopLimit => b"stop_limit",
        OrderKind::StopMarket => b"stop_market",
    };
    w.str_field(b"orderType", kind);
    w.put(b",");
    w.str_field(b"side", o.spec.side.as_lower().as_bytes());
    if o.spec.kind == OrderKind::Limit {
        if o.spec.post_only {
            w.put(b",\"postOnly\":true");
        }
        let tif: &[u8] = match o.spec.tif {
            TimeInForce::Gtc => b"GTC",
            TimeInForce::Ioc => b"IOC",
            TimeInForce::Fok => b"FOK",
        };
        w.put(b",");
        w.str_field(b"timeInForce", tif);
    }
    w.put(b",");
    w.str_field(b"respInst", o.resp_inst.as_str().as_bytes());
    w.put(b"}");
    w.finish(out)
}

fn write_req_head(out: &mut Vec<u8>, action: &[u8], account: Account, id: &[u8]) {
    out.clear();
    out.extend_from_slice(b"{\"op\":\"req\",\"action\":\"");
    out.extend_from_slice(action);
    out.extend_from_slice(b"\",\"account\":\"");
    out.extend_from_slice(account.as_str().as_bytes());
    out.extend_from_slice(b"\",\"id\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"args\":");
}

/// `{"op":"req","action":"place-order","account":..,"id":<client id>,"args":{order}}` into `out` (cleared first).
/// On error `out` is left empty.
pub fn write_place_order(
    out: &mut Vec<u8>,
    account: Account,
    o: &PlaceOrder<'_>,
) -> Result<(), EncodeError> {
    write_req_head(out, b"place-order", account, o.client_id.as_bytes());
    if let Err(e) = write_order_object(out, o) {
        out.clear();
        return Err(e);
    }
    out.push(b'}');
    Ok(())
}

/// `cancel-order` for `order_id` (predicted or acknowledged). `request_id` is echoed in the reply.
pub fn write_cancel_order(
    out: &mut Vec<u8>,
    account: Account,
    request_id: &ClientId,
    time_ms: u64,
    order_id: &OrderId,
    symbol: &str,
) -> Result<(), EncodeError> {
    if !json_safe(symbol.as_bytes()) || symbol.is_empty() {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    write_req_head(out, b"cancel-order", account, request_id.as_bytes());
    out.extend_from_slice(b"{\"time\":");
    push_u64(out, time_ms);
    out.push(b',');
    push_str_field(out, b"id", request_id.as_bytes());
    out.push(b',');
    push_str_field(out, b"orderId", order_id.as_bytes());
    out.push(b',');
    push_str_field(out, b"symbol", symbol.as_bytes());
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `cancel-all`, for one symbol or (with `None`) every symbol of the account.
pub fn write_cancel_all(
    out: &mut Vec<u8>,
    account: Account,
    request_id: &ClientId,
    time_ms: u64,
    symbol: Option<&str>,
) -> Result<(), EncodeError> {
    if symbol.is_some_and(|s| !json_safe(s.as_bytes()) || s.is_empty()) {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    write_req_head(out, b"cancel-all", account, request_id.as_bytes());
    out.extend_from_slice(b"{\"time\":");
    push_u64(out, time_ms);
    if let Some(s) = symbol {
        out.push(b',');
        push_str_field(out, b"symbol", s.as_bytes());
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `open-order` for `symbols` (`"A"`, `"A,B"`, or `None` for all).
pub fn write_open_orders(
    out: &mut Vec<u8>,
    account: Account,
    request_id: &ClientId,
    symbols: Option<&str>,
) -> Result<(), EncodeError> {
    if symbols.is_some_and(|s| !json_safe(s.as_bytes())) {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    write_req_head(out, b"open-order", account, request_id.as_bytes());
    out.push(b'{');
    if let Some(s) = symbols {
        push_str_field(out, b"symbols", s.as_bytes());
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `{"op":"sub","id":..,"ch":"order:cash"}`: order pushes (and balance pushes) for the account.
pub fn write_subscribe_orders(out: &mut Vec<u8>, account: Account, request_id: &ClientId) {
    out.clear();
    out.extend_from_slice(b"{\"op\":\"sub\",\"id\":\"");
    out.extend_from_slice(request_id.as_bytes());
    out.extend_from_slice(b"\",\"ch\":\"order:");
    out.extend_from_slice(account.as_str().as_bytes());
    out.extend_from_slice(b"\"}");
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/// The exchange's order status as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireStatus {
    PendingNew,
    New,
    /// Ready-ack mode: resting as a maker (the same state as `New` for the tracker).
    Ready,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
}

impl WireStatus {
    /// The status as spelled in pushes and REST rows.
    pub(crate) fn parse(b: &[u8]) -> Option<WireStatus> {
        Some(match b {
            b"PendingNew" => WireStatus::PendingNew,
            b"New" => WireStatus::New,
            b"Ready" => WireStatus::Ready,
            b"PartiallyFilled" => WireStatus::PartiallyFilled,
            b"Filled" => WireStatus::Filled,
            b"Canceled" | b"Cancelled" => WireStatus::Canceled,
            b"Rejected" => WireStatus::Rejected,
            _ => return None,
        })
    }

    pub fn reported(self) -> ReportedStatus {
        match self {
            WireStatus::PendingNew => ReportedStatus::PendingNew,
            WireStatus::New | WireStatus::Ready => ReportedStatus::New,
            WireStatus::PartiallyFilled => ReportedStatus::PartiallyFilled,
            WireStatus::Filled => ReportedStatus::Filled,
            WireStatus::Canceled => ReportedStatus::Canceled,
            WireStatus::Rejected => ReportedStatus::Rejected,
        }
    }
}

/// `Buy`/`buy`/`BUY` and the same for sell (pushes and REST rows).
pub(crate) fn parse_side(b: &[u8]) -> Option<Side> {
    match b {
        b"Buy" | b"buy" | b"BUY" => Some(Side::Buy),
        b"Sell" | b"sell" | b"SELL" => Some(Side::Sell),
        _ => None,
    }
}

pub(crate) fn parse_kind(b: &[u8]) -> Option<OrderKind> {
    match b {
        b"Limit" | b"limit" => Some(OrderKind::Limit),
        b"Market" | b"market" => Some(OrderKind::Market),
        b"StopLimit" | b"stop_limit" => Some(OrderKind::StopLimit),
        b"StopMarket" | b"stop_market" => Some(OrderKind::StopMarket),
        _ => None,
    }
}

/// One order's state from an `order` push or an `open-order` row, at the symbol's scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPush<'a> {
    pub symbol: &'a str,
    pub scales: SymbolScales,
    pub seq: u64,
    pub order_id: OrderId,
    pub side: Option<Side>,
    pub kind: Option<OrderKind>,
    /// Limit price; 0 when empty (market orders).
    pub price: i64,
    pub qty: i64,
    pub stop_price: Option<i64>,
    pub status: WireStatus,
    pub avg_px: i64,
    pub cum_qty: i64,
    pub cum_fee: i64,
    pub fee_asset: &'a str,
    /// Error code text (`""`, `"NULL_VAL"`, `"PostOnlyWouldTake"`, ...).
    pub err: &'a str,
    pub ts_ms: i64,
    /// Execution instruction (`NULL_VAL`, `Post`, `Liquidation`).
    pub exec_inst: &'a str,
    /// Balances after the event: base total/available, quote total/available (asset scales).
    pub base_total: Option<i64>,
    pub base_available: Option<i64>,
    pub quote_total: Option<i64>,
    pub quote_available: Option<i64>,
}

impl OrderPush<'_> {
    /// The tracker's view of this report.
    pub fn update(&self, source: Source) -> OrderUpdate {
        OrderUpdate {
            order_id: self.order_id,
            seq: Some(self.seq),
            status: self.status.reported(),
            cum_qty: self.cum_qty,
            avg_px: self.avg_px,
            cum_fee: self.cum_fee,
            ts_ms: self.ts_ms,
            source,
        }
    }

    pub fn is_post_only(&self) -> bool {
        self.exec_inst.eq_ignore_ascii_case("post")
    }
}

/// Ready-ack mode's refusal of a cancel (`st:"Rejected"`, `err:"OrderCancelReject"`): the target order is
/// unaffected. Never apply it to the order as a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelReject<'a> {
    /// The order we tried to cancel (`origOrderId`).
    pub order_id: OrderId,
    /// The cancel request's own id (`orderId`).
    pub request_order_id: OrderId,
    pub symbol: &'a str,
    pub seq: u64,
    /// Why (`TooLateToCancel`, ...).
    pub text: &'a str,
    pub ts_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    Ack,
    Accept,
    Done,
    Err,
}

/// The reply to a place-order, cancel-order or cancel-all request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderReply<'a> {
    /// The request id we sent (outer `id`, or `info.id`).
    pub request_id: &'a str,
    /// `place-order`, `cancel-order`, `cancel-all`, ...
    pub action: &'a str,
    pub status: ReplyStatus,
    /// Exchange order id (`info.orderId`), when given and non-empty.
    pub order_id: Option<OrderId>,
    pub symbol: &'a str,
    /// 0 on success; the exchange's error code otherwise.
    pub code: i64,
    pub reason: &'a str,
    pub message: &'a str,
    pub timestamp_ms: Option<i64>,
}

/// A `balance` push (changes not caused by orders: deposits, transfers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalancePush<'a> {
    pub asset_name: &'a str,
    pub asset: AssetId,
    pub seq: u64,
    pub total: i64,
    pub available: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthReply<'a> {
    pub id: &'a str,
    pub code: i64,
    pub err: &'a str,
    /// The server confirmed ready-ack mode.
    pub ready_ack: bool,
}

/// `{"m":"error",...}` or `{"m":"disconnected",...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMsg<'a> {
    pub id: &'a str,
    pub code: i64,
    pub reason: &'a str,
    pub info: &'a str,
}

/// The `open-order` reply; iterate [`OpenOrders::orders`] for the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrders<'a> {
    pub id: &'a str,
    data: &'a [u8],
}

impl<'a> OpenOrders<'a> {
    /// Each row decoded like an order push; a bad row is an error item, the others still come.
    pub fn orders<'s, S: Scales>(
        &self,
        scales: &'s S,
    ) -> impl Iterator<Item = Result<OrderPush<'a>, DecodeError>> + use<'a, 's, S> {
        json::elements(self.data).map(move |v| match v {
            Ok(Value::Obj(o)) => match decode_order_data(o, scales)? {
                OrderData::Order(p) => Ok(p),
                OrderData::CancelReject(_) => Err(DecodeError::Bad("data")),
            },
            Ok(_) => Err(DecodeError::Bad("data")),
            Err(e) => Err(DecodeError::Json(e)),
        })
    }
}

/// Anything the trading session can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound<'a> {
    OrderReply(OrderReply<'a>),
    Order(OrderPush<'a>),
    CancelReject(CancelReject<'a>),
    Balance(BalancePush<'a>),
    OpenOrders(OpenOrders<'a>),
    Auth(AuthReply<'a>),
    Error(ErrorMsg<'a>),
    Disconnected(ErrorMsg<'a>),
    Connected {
        authenticated: bool,
    },
    /// Server ping: answer `{"op":"pong"}` at once.
    Ping {
        hp: Option<i64>,
    },
    Pong,
    /// Subscription acknowledgement (`code` 0 = ok).
    Sub {
        code: i64,
    },
    /// Another message type (market data, ...), left to its decoder.
    Other {
        m: &'a str,
    },
}

fn text<'a>(v: Value<'a>, k: &'static str) -> Result<&'a str, DecodeError> {
    match v {
        Value::Str(_) => v.as_str().ok_or(DecodeError::Bad(k)),
        Value::Null => Ok(""),
        _ => Err(DecodeError::Bad(k)),
    }
}

fn int(v: Value<'_>, k: &'static str) -> Result<i64, DecodeError> {
    v.as_i64().ok_or(DecodeError::Bad(k))
}

fn dec(
    v: Option<Value<'_>>,
    scale: u8,
    k: &'static str,
    empty_is_zero: bool,
) -> Result<Option<i64>, DecodeError> {
    let Some(v) = v else { return Ok(None) };
    let b = match v {
        Value::Str(b) | Value::Num(b) => b,
        Value::Null => return Ok(None),
        _ => return Err(DecodeError::Bad(k)),
    };
    if b.is_empty() {
        return if empty_is_zero { Ok(Some(0)) } else { Ok(None) };
    }
    parse_scaled(b, scale)
        .map(Some)
        .map_err(|e| DecodeError::Decimal(k, e))
}

/// An average price: more decimals than the price scale are rounded, not refused.
fn dec_round(v: Option<Value<'_>>, scale: u8, k: &'static str) -> Result<Option<i64>, DecodeError> {
    let Some(v) = v else { return Ok(None) };
    let b = match v {
        Value::Str(b) | Value::Num(b) => b,
        Value::Null => return Ok(None),
        _ => return Err(DecodeError::Bad(k)),
    };
    if b.is_empty() {
        return Ok(Some(0));
    }
    crate::orders::scaled::parse_scaled_round(b, scale)
        .map(Some)
        .map_err(|e| DecodeError::Decimal(k, e))
}

fn id_of(v: Value<'_>, k: &'static str) -> Result<OrderId, DecodeError> {
    let b = v.as_str_bytes().ok_or(DecodeError::Bad(k))?;
    if b.len() > MAX_ID_LEN {
        return Err(DecodeError::Bad(k));
    }
    OrderId::new(b).ok_or(DecodeError::Bad(k))
}

enum OrderData<'a> {
    Order(OrderPush<'a>),
    CancelReject(CancelReject<'a>),
}

/// Raw fields of an order object, collected in one pass (field order is not guaranteed).
#[derive(Default)]
struct RawOrder<'a> {
    s: Option<Value<'a>>,
    sn: Option<Value<'a>>,
    sd: Option<Value<'a>>,
    ot: Option<Value<'a>>,
    p: Option<Value<'a>>,
    q: Option<Value<'a>>,
    sp: Option<Value<'a>>,
    st: Option<Value<'a>>,
    ap: Option<Value<'a>>,
    cfq: Option<Value<'a>>,
    cf: Option<Value<'a>>,
    fa: Option<Value<'a>>,
    err: Option<Value<'a>>,
    t: Option<Value<'a>>,
    order_id: Option<Value<'a>>,
    orig_order_id: Option<Value<'a>>,
    text: Option<Value<'a>>,
    ei: Option<Value<'a>>,
    bab: Option<Value<'a>>,
    btb: Option<Value<'a>>,
    qab: Option<Value<'a>>,
    qtb: Option<Value<'a>>,
    // Balance push fields.
    a: Option<Value<'a>>,
    tb: Option<Value<'a>>,
    ab: Option<Value<'a>>,
}

impl<'a> RawOrder<'a> {
    #[inline]
    fn set(&mut self, k: &[u8], v: Value<'a>) {
        let slot = match k {
            b"s" => &mut self.s,
            b"sn" => &mut self.sn,
            b"sd" => &mut self.sd,
            b"ot" => &mut self.ot,
            b"p" => &mut self.p,
            b"q" => &mut self.q,
            b"sp" => &mut self.sp,
            b"st" => &mut self.st,
            b"ap" => &mut self.ap,
            b"cfq" => &mut self.cfq,
            b"cf" => &mut self.cf,
            b"fa" => &mut self.fa,
            b"err" => &mut self.err,
            b"t" => &mut self.t,
            b"orderId" => &mut self.order_id,
            b"origOrderId" => &mut self.orig_order_id,
            b"text" => &mut self.text,
            b"ei" => &mut self.ei,
            b"bab" => &mut self.bab,
            b"btb" => &mut self.btb,
            b"qab" => &mut self.qab,
            b"qtb" => &mut self.qtb,
            b"a" => &mut self.a,
            b"tb" => &mut self.tb,
            b"ab" => &mut self.ab,
            _ => return,
        };
        *slot = Some(v);
    }
}

fn decode_order_data<'a, S: Scales>(
    obj: &'a [u8],
    scales: &S,
) -> Result<OrderData<'a>, DecodeError> {
    let mut r = RawOrder::default();
    for kv in json::fields(obj) {
        let (k, v) = kv?;
        r.set(k, v);
    }
    finish_order(&r, scales)
}

fn finish_order<'a, S: Scales>(r: &RawOrder<'a>, scales: &S) -> Result<OrderData<'a>, DecodeError> {
    let symbol = text(r.s.ok_or(DecodeError::Missing("s"))?, "s")?;
    let seq =
        r.sn.ok_or(DecodeError::Missing("sn"))?
            .as_u64()
            .ok_or(DecodeError::Bad("sn"))?;
    let order_id = id_of(
        r.order_id.ok_or(DecodeError::Missing("orderId"))?,
        "orderId",
    )?;
    let st_raw =
        r.st.ok_or(DecodeError::Missing("st"))?
            .as_str_bytes()
            .ok_or(DecodeError::Bad("st"))?;
    let status = WireStatus::parse(st_raw).ok_or(DecodeError::Bad("st"))?;
    let err = r.err.map(|v| text(v, "err")).transpose()?.unwrap_or("");
    let ts_ms = r.t.map(|v| int(v, "t")).transpose()?.unwrap_or(0);
    if status == WireStatus::Rejected && err == "OrderCancelReject" {
        let target = r.orig_order_id.ok_or(DecodeError::Missing("origOrderId"))?;
        return Ok(OrderData::CancelReject(CancelReject {
            order_id: id_of(target, "origOrderId")?,
            request_order_id: order_id,
            symbol,
            seq,
            text: r.text.map(|v| text(v, "text")).transpose()?.unwrap_or(""),
            ts_ms,
        }));
    }
    let sc = scales
        .symbol(symbol.as_bytes())
        .ok_or(DecodeError::UnknownSymbol)?;
    let side = match r.sd {
        Some(v) => Some(
            parse_side(v.as_str_bytes().ok_or(DecodeError::Bad("sd"))?)
                .ok_or(DecodeError::Bad("sd"))?,
        ),
        None => None,
    };
    let kind = match r.ot {
        Some(v) => parse_kind(v.as_str_bytes().ok_or(DecodeError::Bad("ot"))?),
        None => None,
    };
    let cum_qty = dec(r.cfq, sc.qty, "cfq", true)?.ok_or(DecodeError::Missing("cfq"))?;
    if cum_qty < 0 {
        return Err(DecodeError::Bad("cfq"));
    }
    let avg_px = dec_round(r.ap, sc.price, "ap")?.unwrap_or(0);
    if avg_px < 0 || (cum_qty > 0 && avg_px == 0) {
        return Err(DecodeError::Bad("ap"));
    }
    Ok(OrderData::Order(OrderPush {
        symbol,
        scales: sc,
        seq,
        order_id,
        side,
        kind,
        price: dec(r.p, sc.price, "p", true)?.unwrap_or(0),
        qty: dec(r.q, sc.qty, "q", true)?.unwrap_or(0),
        stop_price: dec(r.sp, sc.price, "sp", false)?.filter(|&v| v != 0),
        status,
        avg_px,
        cum_qty,
        cum_fee: dec(r.cf, sc.fee, "cf", true)?.unwrap_or(0),
        fee_asset: r.fa.map(|v| text(v, "fa")).transpose()?.unwrap_or(""),
        err,
        ts_ms,
        exec_inst: r.ei.map(|v| text(v, "ei")).transpose()?.unwrap_or(""),
        base_total: dec(r.btb, sc.base.scale, "btb", false)?,
        base_available: dec(r.bab, sc.base.scale, "bab", false)?,
        quote_total: dec(r.qtb, sc.quote.scale, "qtb", false)?,
        quote_available: dec(r.qab, sc.quote.scale, "qab", false)?,
    }))
}

fn finish_balance<'a, S: Scales>(
    r: &RawOrder<'a>,
    scales: &S,
) -> Result<BalancePush<'a>, DecodeError> {
    let (a, sn, tb, ab) = (r.a, r.sn, r.tb, r.ab);
    let name = text(a.ok_or(DecodeError::Missing("a"))?, "a")?;
    let asset = scales
        .asset(name.as_bytes())
        .ok_or(DecodeError::UnknownAsset)?;
    let seq = sn
        .ok_or(DecodeError::Missing("sn"))?
        .as_u64()
        .ok_or(DecodeError::Bad("sn"))?;
    let total = dec(tb, asset.scale, "tb", false)?.ok_or(DecodeError::Missing("tb"))?;
    let available = dec(ab, asset.scale, "ab", false)?.ok_or(DecodeError::Missing("ab"))?;
    Ok(BalancePush {
        asset_name: name,
        asset: asset.id,
        seq,
        total,
        available,
    })
}

fn decode_reply<'a>(
    id: Option<Value<'a>>,
    action: Option<Value<'a>>,
    status: Option<Value<'a>>,
    info: Option<Value<'a>>,
    code: Option<Value<'a>>,
    reason: Option<Value<'a>>,
    message: Option<Value<'a>>,
) -> Result<OrderReply<'a>, DecodeError> {
    let status = match status.ok_or(DecodeError::Missing("status"))?.as_str_bytes() {
        Some(b"Ack") | Some(b"ACK") => ReplyStatus::Ack,
        Some(b"ACCEPT") | Some(b"Accept") => ReplyStatus::Accept,
        Some(b"DONE") | Some(b"Done") => ReplyStatus::Done,
        Some(b"Err") | Some(b"ERR") => ReplyStatus::Err,
        _ => return Err(DecodeError::Bad("status")),
    };
    let mut r = OrderReply {
        request_id: id.map(|v| text(v, "id")).transpose()?.unwrap_or(""),
        action: text(action.ok_or(DecodeError::Missing("action"))?, "action")?,
        status,
        order_id: None,
        symbol: "",
        code: code.map(|v| int(v, "code")).transpose()?.unwrap_or(0),
        reason: reason.map(|v| text(v, "reason")).transpose()?.unwrap_or(""),
        message: message
            .map(|v| text(v, "message"))
            .transpose()?
            .unwrap_or(""),
        timestamp_ms: None,
    };
    match info {
        Some(Value::Obj(o)) => {
            for kv in json::fields(o) {
                let (k, v) = kv?;
                match k {
                    b"id" if r.request_id.is_empty() => r.request_id = text(v, "info.id")?,
                    b"orderId" => {
                        let b = v.as_str_bytes().ok_or(DecodeError::Bad("info.orderId"))?;
                        if !b.is_empty() {
                            r.order_id = Some(id_of(v, "info.orderId")?);
                        }
                    }
                    b"symbol" => r.symbol = text(v, "info.symbol")?,
                    b"code" => r.code = int(v, "info.code")?,
                    b"reason" => r.reason = text(v, "info.reason")?,
                    b"message" => r.message = text(v, "info.message")?,
                    b"timestamp" => r.timestamp_ms = Some(int(v, "info.timestamp")?),
                    _ => {}
                }
            }
        }
        Some(Value::Str(_)) if r.message.is_empty() => {
            r.message = text(info.unwrap_or(Value::Null), "info")?
        }
        _ => {}
    }
    if r.status == ReplyStatus::Err && r.code == 0 {
        // The docs show error replies whose code is only inside `info`, or missing; never report success.
        r.code = -1;
    }
    Ok(r)
}

/// Decodes one text frame of the trading session. Borrowed from `frame`; allocates nothing.
pub fn decode<'a, S: Scales>(frame: &'a [u8], scales: &S) -> Result<Inbound<'a>, DecodeError> {
    let mut m = None;
    let mut op = None;
    let mut data = None;
    let mut id = None;
    let mut action = None;
    let mut status = None;
    let mut info = None;
    let mut code = None;
    let mut reason = None;
    let mut message = None;
    let mut err = None;
    let mut ack = None;
    let mut typ = None;
    let mut hp = None;
    let mut first = true;
    // One pass: an object `data` (order and balance pushes) is read in place, not skipped and re-read.
    let mut raw = RawOrder::default();
    let mut data_obj = false;
    let mut rdr = json::ObjectReader::new(frame);
    loop {
        let k = match rdr.next_key() {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(JsonError::Unexpected { at: 0 }) if first => return Err(DecodeError::NotObject),
            Err(e) => return Err(e.into()),
        };
        first = false;
        if k == b"data" {
            if rdr.object_fields(|k, v| raw.set(k, v))? {
                data_obj = true;
                data = None;
            } else {
                data_obj = false;
                data = Some(rdr.value()?);
            }
            continue;
        }
        let v = rdr.value()?;
        match k {
            b"m" => m = Some(v),
            b"op" => op = Some(v),
            b"id" => id = Some(v),
            b"action" => action = Some(v),
            b"status" => status = Some(v),
            b"info" => info = Some(v),
            b"code" => code = Some(v),
            b"reason" => reason = Some(v),
            b"message" => message = Some(v),
            b"err" => err = Some(v),
            b"ack" => ack = Some(v),
            b"type" => typ = Some(v),
            b"hp" => hp = Some(v),
            _ => {}
        }
    }
    let kind = m.or(op).ok_or(DecodeError::Missing("m"))?;
    let kind = kind.as_str_bytes().ok_or(DecodeError::Bad("m"))?;
    let s = |v: Option<Value<'a>>, k: &'static str| -> Result<&'a str, DecodeError> {
        v.map(|v| text(v, k)).transpose().map(|o| o.unwrap_or(""))
    };
    let code_i = |v: Option<Value<'a>>| -> Result<i64, DecodeError> {
        v.map(|v| int(v, "code"))
            .transpose()
            .map(|o| o.unwrap_or(0))
    };
    Ok(match kind {
        b"order" if data_obj => match finish_order(&raw, scales)? {
            OrderData::Order(p) => Inbound::Order(p),
            OrderData::CancelReject(c) => Inbound::CancelReject(c),
        },
        b"order" => match data {
            Some(_) => return Err(DecodeError::Bad("data")),
            None => Inbound::OrderReply(decode_reply(
                id, action, status, info, code, reason, message,
            )?),
        },
        b"balance" if data_obj => Inbound::Balance(finish_balance(&raw, scales)?),
        b"balance" => match data {
            Some(_) => return Err(DecodeError::Bad("data")),
            None => return Err(DecodeError::Missing("data")),
        },
        b"open-order" if data_obj => return Err(DecodeError::Bad("data")),
        b"open-order" => match data {
            Some(Value::Arr(a)) => Inbound::OpenOrders(OpenOrders {
                id: s(id, "id")?,
                data: a,
            }),
            Some(_) => return Err(DecodeError::Bad("data")),
            None => return Err(DecodeError::Missing("data")),
        },
        b"auth" => Inbound::Auth(AuthReply {
            id: s(id, "id")?,
            code: code_i(code)?,
            err: s(err, "err")?,
            ready_ack: matches!(ack.and_then(|v| v.as_str_bytes()), Some(b"ready")),
        }),
        b"error" | b"disconnected" => {
            let e = ErrorMsg {
                id: s(id, "id")?,
                code: code_i(code)?,
                reason: s(reason, "reason")?,
                info: match info {
                    Some(v @ Value::Str(_)) => text(v, "info")?,
                    _ => s(message, "message")?,
                },
            };
            if kind == b"error" {
                Inbound::Error(e)
            } else {
                Inbound::Disconnected(e)
            }
        }
        b"connected" => Inbound::Connected {
            authenticated: matches!(typ.and_then(|v| v.as_str_bytes()), Some(b"auth")),
        },
        b"ping" => Inbound::Ping {
            hp: hp.and_then(|v| v.as_i64()),
        },
        b"pong" => Inbound::Pong,
        b"sub" | b"unsub" => Inbound::Sub {
            code: code_i(code)?,
        },
        other => Inbound::Other {
            m: std::str::from_utf8(other).map_err(|_| DecodeError::Bad("m"))?,
        },
    })
}

/// `{"op":"pong"}`, the answer to a server ping.
pub const PONG: &[u8] = b"{\"op\":\"pong\"}";
/// `{"op":"ping"}`, the client keep-alive.
pub const PING: &[u8] = b"{\"op\":\"ping\"}";

// ---------------------------------------------------------------------------------------------------------------
// Session glue: ids, predicted order ids, tracker bookkeeping and frames in one place. The session
// (`session::trading::TradingState`) places, cancels and matches reports through these same functions.

use crate::orders::{
    Applied, BalanceApplied, BalanceError, Balances, NewOrder, OrderHandle, OrderTracker,
    TrackError,
};
use crate::venue::ascendex::ids::{ClientIdGen, Via, predict_order_id_checked};

/// An order to place, quantized (see `rules`), at its symbol's scales.
#[derive(Debug, Clone, Copy)]
pub struct OrderSpec<'a> {
    pub symbol: &'a str,
    pub symbol_id: SymbolId,
    pub side: Side,
    pub kind: OrderKind,
    pub price: i64,
    pub price_scale: u8,
    pub qty: i64,
    pub qty_scale: u8,
    pub stop_price: Option<i64>,
    pub post_only: bool,
    pub tif: TimeInForce,
}

/// When a request is sent: the exchange-clock time for its `time` field (local + offset), the engine's monotonic
/// `now`, and how long to wait for an answer before the order turns `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub exchange_ms: u64,
    pub now_ns: u64,
    pub timeout_ns: u64,
}

/// Why [`OrderEntry`] sent nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    Encode(EncodeError),
    Track(TrackError),
    /// The user UID is not a few letters and digits.
    BadUserUid,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::Encode(e) => e.fmt(f),
            EntryError::Track(e) => e.fmt(f),
            EntryError::BadUserUid => f.write_str("userUID must be up to 16 letters and digits"),
        }
    }
}

impl std::error::Error for EntryError {}

/// What an inbound message meant for our orders and balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryEvent<'a> {
    /// The gateway acknowledged a new order.
    Placed(OrderHandle),
    /// The new-order request was refused: nothing was placed.
    PlaceRejected {
        handle: OrderHandle,
        code: i64,
        reason: &'a str,
    },
    /// The gateway acknowledged a cancel (the `Canceled` push follows).
    CancelAcked(OrderHandle),
    /// The cancel was refused (too late, not open, duplicate); the order is as it was.
    CancelRefused {
        handle: OrderHandle,
        code: i64,
        reason: &'a str,
    },
    /// An order report was applied (see `Applied::fill` for an execution).
    Order(Applied),
    /// A balance push.
    Balance {
        asset: AssetId,
        applied: Result<BalanceApplied, BalanceError>,
    },
    /// A report or reply about an order we do not track (placed elsewhere, or evicted long ago).
    Untracked,
    /// Not about orders (auth, pings, errors, market data): the caller handles it.
    Other,
}

impl OrderPush<'_> {
    /// Applies the balances after the event that ride on an order push (base, then quote); returns the assets
    /// whose balance changed. An inconsistent pair is skipped: the next push or a REST snapshot corrects it.
    pub fn apply_balances(&self, balances: &mut Balances) -> [Option<AssetId>; 2] {
        let sc = self.scales;
        let mut changed = [None; 2];
        for (slot, (asset, total, available)) in changed.iter_mut().zip([
            (sc.base.id, self.base_total, self.base_available),
            (sc.quote.id, self.quote_total, self.quote_available),
        ]) {
            if let (Some(t), Some(a)) = (total, available)
                && let Ok(BalanceApplied::Applied) = balances.apply_update(asset, t, a, self.seq)
            {
                *slot = Some(asset);
            }
        }
        changed
    }
}

/// Default bound of the cancels-in-flight list of [`OrderEntry::new`].
pub const DEFAULT_PENDING_CANCELS: usize = 256;

/// One trading session's order entry: generates client ids, predicts the exchange's order ids, writes the frames,
/// remembers the cancels in flight, and keeps the tracker in step with requests, replies and pushes.
/// Allocation-free per order.
pub struct OrderEntry {
    ids: ClientIdGen,
    /// Empty when the session has no valid userUID: order ids are then not predicted.
    uid: [u8; 16],
    uid_len: usize,
    account: Account,
    resp_inst: RespInst,
    /// Cancel requests in flight (request id → order); its capacity is fixed at construction.
    /// Cancels in flight: request id, order, and when the cancel was sent (its own round trip).
    pending_cancels: Vec<(ClientId, OrderHandle, u64)>,
}

fn valid_uid(u: &[u8]) -> bool {
    !u.is_empty() && u.len() <= 16 && u.iter().all(u8::is_ascii_alphanumeric)
}

impl OrderEntry {
    /// Order entry for `user_uid` (refused unless a few letters and digits: the predicted ids need it).
    pub fn new(
        ids: ClientIdGen,
        user_uid: &str,
        account: Account,
    ) -> Result<OrderEntry, EntryError> {
        if !valid_uid(user_uid.as_bytes()) {
            return Err(EntryError::BadUserUid);
        }
        Ok(OrderEntry::for_session(
            ids,
            user_uid,
            account,
            RespInst::Ack,
            DEFAULT_PENDING_CANCELS,
        ))
    }

    /// A session's order entry. A `user_uid` that is not a valid userUID (unknown, paper trading) is accepted:
    /// orders then go without a predicted id and learn theirs from the acknowledgement. At most
    /// `max_pending_cancels` cancel replies are waited for at once (see [`Self::cancel_sent`]).
    pub fn for_session(
        ids: ClientIdGen,
        user_uid: &str,
        account: Account,
        resp_inst: RespInst,
        max_pending_cancels: usize,
    ) -> OrderEntry {
        let u = user_uid.as_bytes();
        let mut uid = [0u8; 16];
        let uid_len = if valid_uid(u) {
            uid[..u.len()].copy_from_slice(u);
            u.len()
        } else {
            0
        };
        OrderEntry {
            ids,
            uid,
            uid_len,
            account,
            resp_inst,
            pending_cancels: Vec::with_capacity(max_pending_cancels.max(1)),
        }
    }

    /// `ACK` by default (lowest latency); the pushes carry the rest.
    pub fn set_resp_inst(&mut self, r: RespInst) {
        self.resp_inst = r;
    }

    /// The client-id generator (whose tag tells our orders from others).
    pub fn ids(&self) -> &ClientIdGen {
        &self.ids
    }

    /// A fresh request id (subscriptions, cancel-all, open-order requests).
    pub fn next_client_id(&mut self) -> ClientId {
        self.ids.next_id()
    }

    /// The exchange order id of a request sent via `via` at exchange time `time_ms`.
    pub fn predict(&self, via: Via, time_ms: u64, client_id: &ClientId) -> Option<OrderId> {
        // `uid` was checked when the entry was made (an unusable one is stored empty).
        let uid = self.uid.get(..self.uid_len).filter(|u| !u.is_empty())?;
        predict_order_id_checked(via, time_ms, uid, client_id)
    }

    /// The request to send for `o` under `client_id` (WebSocket `args` or REST body).
    pub fn place_request<'a>(
        &self,
        client_id: &'a ClientId,
        time_ms: u64,
        o: &OrderSpec<'a>,
    ) -> PlaceOrder<'a> {
        PlaceOrder {
            client_id,
            time_ms,
            spec: *o,
            resp_inst: self.resp_inst,
        }
    }

    /// Records a new order in the tracker under a fresh client id, with the order id predicted for `via`
    /// (`None`: a paper order, whose id looks like the exchange's with a `p` in front).
    pub fn track(
        &mut self,
        tracker: &mut OrderTracker,
        o: &OrderSpec<'_>,
        via: Option<Via>,
        at: Stamp,
    ) -> Result<(OrderHandle, ClientId), TrackError> {
        let cid = self.ids.next_id();
        let order_id = match via {
            Some(v) => self.predict(v, at.exchange_ms, &cid),
            None => {
                let mut b = [0u8; 12];
                b[0] = b'p';
                let c = cid.as_bytes();
                let n = c.len().min(11);
                b[1..1 + n].copy_from_slice(&c[c.len() - n..]);
                OrderId::new(&b[..1 + n])
            }
        };
        let new = NewOrder {
            client_id: cid,
            order_id,
            symbol: o.symbol_id,
            side: o.side,
            kind: o.kind,
            tif: o.tif,
            post_only: o.post_only,
            price: o.price,
            qty: o.qty,
        };
        let h = tracker.insert(new, at.now_ns, at.timeout_ns)?;
        Ok((h, cid))
    }

    /// Records the order (with its predicted exchange id) in the tracker and writes the place-order frame into
    /// `out`. On error nothing is recorded and `out` is empty. `at.exchange_ms` is exchange time (local + offset).
    pub fn place(
        &mut self,
        out: &mut Vec<u8>,
        tracker: &mut OrderTracker,
        o: &OrderSpec<'_>,
        at: Stamp,
    ) -> Result<OrderHandle, EntryError> {
        let (h, cid) = self
            .track(tracker, o, Some(Via::WebSocket), at)
            .map_err(|e| {
                out.clear();
                EntryError::Track(e)
            })?;
        let req = self.place_request(&cid, at.exchange_ms, o);
        if let Err(e) = write_place_order(out, self.account, &req) {
            let _ = tracker.release(h);
            return Err(EntryError::Encode(e));
        }
        Ok(h)
    }

    /// Writes a cancel-order frame for `order_id` under a fresh request id, which it returns (see
    /// [`Self::cancel_sent`] once the frame is out).
    pub fn write_cancel(
        &mut self,
        out: &mut Vec<u8>,
        order_id: &OrderId,
        symbol: &str,
        time_ms: u64,
    ) -> Result<ClientId, EncodeError> {
        let rid = self.ids.next_id();
        write_cancel_order(out, self.account, &rid, time_ms, order_id, symbol)?;
        Ok(rid)
    }

    /// Remembers a cancel in flight so its reply finds the order, without ever growing the list: when full,
    /// cancels of orders already done (or forgotten) go first, then the oldest (its reply is then ignored; the
    /// order's own reports still settle it).
    pub fn cancel_sent(
        &mut self,
        tracker: &OrderTracker,
        request_id: ClientId,
        h: OrderHandle,
        sent_ns: u64,
    ) {
        if self.pending_cancels.len() == self.pending_cancels.capacity() {
            self.pending_cancels
                .retain(|(_, h, _)| tracker.get(*h).is_some_and(|o| o.status.is_live()));
            if self.pending_cancels.len() == self.pending_cancels.capacity() {
                self.pending_cancels.remove(0);
            }
        }
        self.pending_cancels.push((request_id, h, sent_ns));
    }

    /// The order a cancel request was for and when the cancel was sent, forgetting the request (its reply or
    /// error has come).
    pub fn take_cancel(&mut self, request_id: &[u8]) -> Option<(OrderHandle, u64)> {
        let i = self
            .pending_cancels
            .iter()
            .position(|(c, _, _)| c.as_bytes() == request_id)?;
        let (_, h, sent_ns) = self.pending_cancels.swap_remove(i);
        Some((h, sent_ns))
    }

    /// Forgets every cancel in flight (the socket they went out on is gone; the tracker's timeouts resolve them).
    pub fn clear_cancels(&mut self) {
        self.pending_cancels.clear();
    }

    /// Writes the cancel-order frame for a tracked order and marks it `PendingCancel`.
    pub fn cancel(
        &mut self,
        out: &mut Vec<u8>,
        tracker: &mut OrderTracker,
        h: OrderHandle,
        symbol: &str,
        at: Stamp,
    ) -> Result<(), EntryError> {
        let o = *tracker
            .get(h)
            .ok_or(EntryError::Track(TrackError::StaleHandle))?;
        if o.order_id.is_empty() {
            return Err(EntryError::Track(TrackError::UnknownOrder));
        }
        let rid = self
            .write_cancel(out, &o.order_id, symbol, at.exchange_ms)
            .map_err(EntryError::Encode)?;
        tracker
            .cancel_requested(h, at.now_ns, at.timeout_ns)
            .map_err(|e| {
                out.clear();
                EntryError::Track(e)
            })?;
        self.cancel_sent(tracker, rid, h, at.now_ns);
        Ok(())
    }

    /// A push about one of our orders under an exchange id other than the predicted one (the exchange stamped
    /// another time): finds the order by the client id inside the exchange id and corrects its id.
    pub fn correct_order_id(
        &self,
        tracker: &mut OrderTracker,
        order_id: &OrderId,
    ) -> Result<Option<OrderHandle>, TrackError> {
        let Some(h) = self
            .ids
            .client_id_for(order_id)
            .and_then(|c| tracker.by_client_id(&c))
        else {
            return Ok(None);
        };
        tracker.set_order_id(h, *order_id)?;
        Ok(Some(h))
    }

    /// Applies a decoded inbound message to the tracker and balances.
    pub fn on_message<'a>(
        &mut self,
        msg: &Inbound<'a>,
        tracker: &mut OrderTracker,
        balances: &mut Balances,
    ) -> Result<EntryEvent<'a>, TrackError> {
        Ok(match *msg {
            Inbound::OrderReply(r) => {
                let rid = r.request_id.as_bytes();
                match (r.action, r.status) {
                    ("place-order", status) => {
                        let Some(h) = ClientId::new(rid).and_then(|c| tracker.by_client_id(&c))
                        else {
                            return Ok(EntryEvent::Untracked);
                        };
                        if status == ReplyStatus::Err {
                            tracker.request_rejected(h)?;
                            EntryEvent::PlaceRejected {
                                handle: h,
                                code: r.code,
                                reason: r.reason,
                            }
                        } else {
                            tracker.acknowledged(h, r.order_id)?;
                            EntryEvent::Placed(h)
                        }
                    }
                    ("cancel-order", status) => {
                        let Some((h, _)) = self.take_cancel(rid) else {
                            return Ok(EntryEvent::Untracked);
                        };
                        if status == ReplyStatus::Err {
                            tracker.cancel_refused(h)?;
                            EntryEvent::CancelRefused {
                                handle: h,
                                code: r.code,
                                reason: r.reason,
                            }
                        } else {
                            EntryEvent::CancelAcked(h)
                        }
                    }
                    _ => EntryEvent::Other,
                }
            }
            Inbound::Order(p) => {
                p.apply_balances(balances);
                match tracker.apply(&p.update(Source::WsPush)) {
                    Ok(a) => EntryEvent::Order(a),
                    Err(TrackError::UnknownOrder) => {
                        if self.correct_order_id(tracker, &p.order_id)?.is_none() {
                            return Ok(EntryEvent::Untracked);
                        }
                        EntryEvent::Order(tracker.apply(&p.update(Source::WsPush))?)
                    }
                    Err(e) => return Err(e),
                }
            }
            Inbound::CancelReject(c) => match tracker.by_order_id(&c.order_id) {
                Some(h) => {
                    tracker.cancel_refused(h)?;
                    EntryEvent::CancelRefused {
                        handle: h,
                        code: 0,
                        reason: c.text,
                    }
                }
                None => EntryEvent::Untracked,
            },
            Inbound::Balance(b) => EntryEvent::Balance {
                asset: b.asset,
                applied: balances.apply_update(b.asset, b.total, b.available, b.seq),
            },
            _ => EntryEvent::Other,
        })
    }
}
