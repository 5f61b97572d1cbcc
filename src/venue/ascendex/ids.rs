//! Client order ids and the exchange's order ids predicted from them (README §11).
//!
//! `orderId = A + B + C + D`: A = `a` (REST) or `s` (WebSocket); B = the request's `time` (ms) in lower-case hex
//! (11 characters today; the demo keeps the last 11); C = the userUID (`U` + 10 digits); D = the last 9 characters
//! of the client id. Total 32 characters (the demo truncates to 32). With a unique 9-character tail and a known
//! `time`, the id is known before the acknowledgement, so an order can be canceled or matched at once.
//!
//! Our client ids: `<prefix><tag><8 base62 counter chars>`. The tag character marks our orders inside an exchange
//! id (its last 9 characters are ours), so reconciliation can tell them from orders placed by hand. The counter
//! starts from the process start time (×256), so tails stay unique across restarts without any state on disk.
//! Two engines trading the same account at the same time must use different tags: the prefix never reaches the
//! order id, only the 9-character tail does.

use std::fmt;

use crate::orders::{ClientId, OrderId};

/// Longest client id the exchange accepts.
pub const MAX_CLIENT_ID_LEN: usize = 32;
/// How many trailing client-id characters go into the order id.
pub const ORDER_ID_TAIL: usize = 9;
const ORDER_ID_LEN: usize = 32;
const HEX_DIGITS: usize = 11;
const COUNTER_CHARS: usize = 8;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 62^8: the counter's range.
const COUNTER_SPACE: u64 = 218_340_105_584_896;
/// 2024-01-01T00:00:00Z: the counter's zero, so 62^8 / 256 ms (27 years) of start times fit.
const COUNTER_EPOCH_MS: u64 = 1_704_067_200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Longer than 32 characters.
    TooLong,
    /// Shorter than the 2 characters `^\w[\w\-]*\w$` needs.
    TooShort,
    /// Outside `[A-Za-z0-9_-]`, or starting/ending with `-`.
    BadCharacters,
    /// The prefix leaves no room for the 9-character tail, or the tag is not alphanumeric.
    BadPrefix,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdError::TooLong => "client id longer than 32 characters",
            IdError::TooShort => "client id shorter than 2 characters",
            IdError::BadCharacters => {
                "client id must match ^\\w[\\w\\-]*\\w$ (letters, digits, '_' and inner '-')"
            }
            IdError::BadPrefix => {
                "client id prefix must be at most 23 letters or digits, the tag one letter or digit"
            }
        })
    }
}

impl std::error::Error for IdError {}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Checks a client id against the documented rule: `^\w[\w\-]*\w$`, at most 32 characters.
pub fn validate_client_id(s: &[u8]) -> Result<ClientId, IdError> {
    if s.len() > MAX_CLIENT_ID_LEN {
        return Err(IdError::TooLong);
    }
    if s.len() < 2 {
        return Err(IdError::TooShort);
    }
    let inner_ok = s.iter().all(|&b| is_word(b) || b == b'-');
    if !inner_ok || !is_word(s[0]) || !is_word(s[s.len() - 1]) {
        return Err(IdError::BadCharacters);
    }
    ClientId::new(s).ok_or(IdError::BadCharacters)
}

/// Generates unique client ids without allocating.
#[derive(Debug, Clone)]
pub struct ClientIdGen {
    prefix: [u8; MAX_CLIENT_ID_LEN],
    prefix_len: usize,
    tag: u8,
    counter: u64,
}

impl ClientIdGen {
    /// `prefix`: up to 23 letters or digits (may be empty); `tag`: one letter or digit marking our orders;
    /// `start_ms`: the process start time (wall clock), which seeds the counter.
    pub fn new(prefix: &str, tag: u8, start_ms: u64) -> Result<ClientIdGen, IdError> {
        let p = prefix.as_bytes();
        if p.len() > MAX_CLIENT_ID_LEN - ORDER_ID_TAIL || !p.iter().all(u8::is_ascii_alphanumeric) {
            return Err(IdError::BadPrefix);
        }
        if !tag.is_ascii_alphanumeric() {
            return Err(IdError::BadPrefix);
        }
        let mut buf = [0u8; MAX_CLIENT_ID_LEN];
        buf[..p.len()].copy_from_slice(p);
        let counter = start_ms
            .saturating_sub(COUNTER_EPOCH_MS)
            .saturating_mul(256)
            % COUNTER_SPACE;
        Ok(ClientIdGen {
            prefix: buf,
            prefix_len: p.len(),
            tag,
            counter,
        })
    }

    /// The next id: `<prefix><tag><8 base62 chars>`.
    pub fn next_id(&mut self) -> ClientId {
        let mut buf = self.prefix;
        let mut len = self.prefix_len;
        buf[len] = self.tag;
        len += 1;
        let mut n = self.counter;
        for i in (0..COUNTER_CHARS).rev() {
            buf[len + i] = BASE62[(n % 62) as usize];
            n /= 62;
        }
        len += COUNTER_CHARS;
        self.counter = (self.counter + 1) % COUNTER_SPACE;
        // Alphanumeric by construction, within 32 bytes.
        ClientId::new(&buf[..len]).unwrap_or(ClientId::EMPTY)
    }

    /// Whether an exchange order id ends with a tail this generator's tag marks (an order placed by this engine,
    /// in this run or an earlier one).
    pub fn is_ours(&self, order_id: &OrderId) -> bool {
        let b = order_id.as_bytes();
        if b.len() < ORDER_ID_TAIL {
            return false;
        }
        let tail = &b[b.len() - ORDER_ID_TAIL..];
        tail[0] == self.tag && tail[1..].iter().all(u8::is_ascii_alphanumeric)
    }
}

impl ClientIdGen {
    /// The client id this generator would have issued for an exchange order id ending in one of our tails
    /// (`prefix + last 9 characters`), to find an order whose id was mispredicted.
    pub fn client_id_for(&self, order_id: &OrderId) -> Option<ClientId> {
        if !self.is_ours(order_id) {
            return None;
        }
        let b = order_id.as_bytes();
        let tail = &b[b.len() - ORDER_ID_TAIL..];
        let mut buf = self.prefix;
        buf[self.prefix_len..self.prefix_len + ORDER_ID_TAIL].copy_from_slice(tail);
        ClientId::new(&buf[..self.prefix_len + ORDER_ID_TAIL])
    }
}

/// Which API an order goes through; it is the order id's first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Rest,
    WebSocket,
}

/// The exchange's order id for a request sent via `via` with body `time` = `time_ms`, account `user_uid`, and
/// client id `client_id`. `None` when the client id has fewer than 9 characters or its tail is not letters and
/// digits (the exchange then picks random characters).
pub fn predict_order_id(
    via: Via,
    time_ms: u64,
    user_uid: &str,
    client_id: &ClientId,
) -> Option<OrderId> {
    let uid = user_uid.as_bytes();
    if uid.is_empty() || uid.len() > 16 || !uid.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    predict_order_id_checked(via, time_ms, uid, client_id)
}

/// [`predict_order_id`] for a user uid already checked (1 to 16 ASCII letters and digits), as the order entry
/// holds it: the per-order path does not check it again.
pub(crate) fn predict_order_id_checked(
    via: Via,
    time_ms: u64,
    uid: &[u8],
    client_id: &ClientId,
) -> Option<OrderId> {
    let cid = client_id.as_bytes();
    if cid.len() < ORDER_ID_TAIL {
        return None;
    }
    let tail = &cid[cid.len() - ORDER_ID_TAIL..];
    if !tail.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut buf = [0u8; 64];
    let mut len = 0;
    buf[len] = match via {
        Via::Rest => b'a',
        Via::WebSocket => b's',
    };
    len += 1;
    // Lower-case hex without leading zeros, keeping the last 11 digits (the demo's rule).
    let mut hex = [0u8; 16];
    let mut n = time_ms;
    let mut nd = 0;
    loop {
        hex[nd] = b"0123456789abcdef"[(n & 0xf) as usize];
        n >>= 4;
        nd += 1;
        if n == 0 {
            break;
        }
    }
    for i in (0..nd.min(HEX_DIGITS)).rev() {
        buf[len] = hex[i];
        len += 1;
    }
    buf[len..len + uid.len()].copy_from_slice(uid);
    len += uid.len();
    buf[len..len + ORDER_ID_TAIL].copy_from_slice(tail);
    len += ORDER_ID_TAIL;
    OrderId::new(&buf[..len.min(ORDER_ID_LEN)])
}

/// The request time embedded in an AscendEX order id (the 11 hex digits after the first character), if it parses.
pub fn order_id_time_ms(order_id: &OrderId) -> Option<u64> {
    let b = order_id.as_bytes();
    let hex = b.get(1..1 + HEX_DIGITS)?;
    let mut v: u64 = 0;
    for &c in hex {
        let d = (c as char).to_digit(16)? as u64;
        v = v * 16 + d;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cid(s: &str) -> ClientId {
        ClientId::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn futures_batch_example_exact() {
        // futures/_rest_prv_order_new_batch.md: time 1613878579169, id sampleRequestId2.
        let id = predict_order_id(
            Via::Rest,
            1613878579169,
            "U0123456789",
            &cid("sampleRequestId2"),
        )
        .unwrap();
        assert_eq!(id.as_str(), "a177c2a8cfe1U0123456789equestId2");
    }

    #[test]
    fn spot_examples_round_trip() {
        // (order id, client id, uid) from spot/_rest_prv_order_new.md (DONE reply) and _ws_req_order_place.md.
        for (oid, client, uid, via) in [
            (
                "a16edbd9aefaU9490877774pPK3zuGGh",
                "ROunD0hpprO2KEgkVK30FOIpPK3zuGGh",
                "U9490877774",
                Via::Rest,
            ),
            // An old account whose uid had no `U`: 31 characters in all.
            (
                "s16ef1daefbe08669437121523b505d",
                "17e1f6809122469589ffc991523b505d",
                "0866943712",
                Via::WebSocket,
            ),
        ] {
            let o = OrderId::new(oid.as_bytes()).unwrap();
            let t = order_id_time_ms(&o).unwrap();
            assert_eq!(predict_order_id(via, t, uid, &cid(client)), Some(o));
        }
        assert_eq!(
            order_id_time_ms(&OrderId::new(b"a177c2a8cfe1U0123456789equestId2").unwrap()),
            Some(1613878579169)
        );
    }

    #[test]
    fn prediction_edges() {
        // Short client ids are not used by the exchange.
        assert_eq!(
            predict_order_id(Via::Rest, 1, "U0123456789", &cid("abcdefgh")),
            None
        );
        // A tail with '-' or '_' is not "letters and digits only".
        assert_eq!(
            predict_order_id(Via::Rest, 1, "U0123456789", &cid("abc-defghi")),
            None
        );
        // A 12-digit hex time keeps the last 11 digits and the total stays 32.
        let id = predict_order_id(
            Via::WebSocket,
            0x1234_5678_9abc,
            "U0123456789",
            &cid("xxABCDEFGHI"),
        )
        .unwrap();
        assert_eq!(id.as_str(), "s23456789abcU0123456789ABCDEFGHI");
        // Small times: no zero padding (the docs' hex is plain).
        let id = predict_order_id(Via::Rest, 255, "U0123456789", &cid("ABCDEFGHI")).unwrap();
        assert_eq!(id.as_str(), "affU0123456789ABCDEFGHI");
    }

    #[test]
    fn generator_ids_are_valid_unique_and_ours() {
        let mut g = ClientIdGen::new("hft", b'H', 1_763_700_000_000).unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = g.next_id();
            assert_eq!(id.as_bytes().len(), 12);
            assert!(validate_client_id(id.as_bytes()).is_ok());
            let tail = &id.as_bytes()[3..];
            assert!(seen.insert(tail.to_vec()), "tail repeated");
            let oid =
                predict_order_id(Via::WebSocket, 1_763_700_000_123, "U0123456789", &id).unwrap();
            assert_eq!(oid.as_bytes().len(), 32);
            assert!(g.is_ours(&oid));
        }
        // A later start never reuses an earlier run's tails (unless it issued 256 ids per ms of uptime).
        let mut first = ClientIdGen::new("", b'H', 1_763_700_000_000).unwrap();
        let mut later = ClientIdGen::new("", b'H', 1_763_700_000_001).unwrap();
        let a: Vec<_> = (0..256).map(|_| first.next_id()).collect();
        let b = later.next_id();
        assert!(!a.contains(&b));
        assert!(!g.is_ours(&OrderId::new(b"a16edbd9aefaU9490877774pPK3zuGGh").unwrap()));
        assert!(!g.is_ours(&OrderId::new(b"short").unwrap()));
        let mut h = ClientIdGen::new("hft", b'H', 1_763_700_000_000).unwrap();
        let id = h.next_id();
        let oid = predict_order_id(Via::Rest, 1, "U0123456789", &id).unwrap();
        assert_eq!(h.client_id_for(&oid), Some(id));
        assert_eq!(
            h.client_id_for(&OrderId::new(b"a16edbd9aefaU9490877774pPK3zuGGh").unwrap()),
            None
        );
        assert_eq!(
            ClientIdGen::new("this-has-dash", b'H', 0).err(),
            Some(IdError::BadPrefix)
        );
        assert_eq!(
            ClientIdGen::new("abcdefghijklmnopqrstuvwx", b'H', 0).err(),
            Some(IdError::BadPrefix)
        );
        assert_eq!(
            ClientIdGen::new("ok", b'-', 0).err(),
            Some(IdError::BadPrefix)
        );
        // Max prefix: exactly 32 characters.
        let mut g = ClientIdGen::new("abcdefghijklmnopqrstuvw", b'H', 0).unwrap();
        assert_eq!(g.next_id().as_bytes().len(), 32);
    }

    #[test]
    fn client_id_rule() {
        assert!(validate_client_id(b"ab").is_ok());
        assert!(validate_client_id(b"a-b_c").is_ok());
        assert_eq!(validate_client_id(b"a"), Err(IdError::TooShort));
        assert_eq!(validate_client_id(b"-ab"), Err(IdError::BadCharacters));
        assert_eq!(validate_client_id(b"ab-"), Err(IdError::BadCharacters));
        assert_eq!(validate_client_id(b"x@fabs"), Err(IdError::BadCharacters));
        assert_eq!(validate_client_id(&[b'a'; 33]), Err(IdError::TooLong));
        assert!(validate_client_id(&[b'a'; 32]).is_ok());
    }
}
