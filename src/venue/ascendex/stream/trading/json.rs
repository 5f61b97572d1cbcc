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
