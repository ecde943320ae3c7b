//! A certificate forge for tests: DER written by hand, so a test can make what no CA library
//! will (negative serials, critical key identifiers, explicit curve parameters, mismatched
//! signature algorithms, odd string types), signed with rcgen keys.

#![allow(dead_code)]

use rcgen::{KeyPair, PublicKeyData, SigningKey};

pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 128 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

pub fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}

pub fn oid(comps: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        body.extend(tmp);
    };
    push(comps[0] * 40 + comps[1]);
    for &c in &comps[2..] {
        push(c);
    }
    tlv(0x06, &body)
}

/// A minimally encoded INTEGER.
pub fn int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(0x02, &bytes[start..])
}

pub fn boolean(b: bool) -> Vec<u8> {
    tlv(0x01, &[if b { 0xff } else { 0 }])
}

pub fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

pub fn bits(unused: u8, b: &[u8]) -> Vec<u8> {
    let mut c = vec![unused];
    c.extend_from_slice(b);
    tlv(0x03, &c)
}

pub fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

pub fn printable(s: &str) -> Vec<u8> {
    tlv(0x13, s.as_bytes())
}

pub fn ia5(s: &str) -> Vec<u8> {
    tlv(0x16, s.as_bytes())
}

pub fn utc(s: &str) -> Vec<u8> {
    tlv(0x17, s.as_bytes())
}

pub fn gen_time(s: &str) -> Vec<u8> {
    tlv(0x18, s.as_bytes())
}

pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// Context-specific tag `n`, constructed or not.
pub fn ctx(n: u8, constructed: bool, content: &[u8]) -> Vec<u8> {
    tlv(if constructed { 0xa0 | n } else { 0x80 | n }, content)
}

/// A Name with one CN, as UTF8String (or another string element).
pub fn name_with(cn_value: Vec<u8>) -> Vec<u8> {
    seq(&[set(&[seq(&[oid(&[2, 5, 4, 3]), cn_value])])])
}

pub fn name(cn: &str) -> Vec<u8> {
    name_with(utf8(cn))
}

pub fn name_org(org: &str) -> Vec<u8> {
    seq(&[set(&[seq(&[oid(&[2, 5, 4, 10]), utf8(org)])])])
}

/// What signs: an rcgen key, or a textbook RSA key for sizes ring refuses to sign with.
pub enum Signer {
    Rcgen(Box<KeyPair>),
    SmallRsa(SmallRsa),
}

/// A signing key and the AlgorithmIdentifier of the signatures it makes.
pub struct Key {
    pub pair: Signer,
    pub alg: Vec<u8>,
}

impl Key {
    pub fn spki(&self) -> Vec<u8> {
        match &self.pair {
            Signer::Rcgen(k) => k.subject_public_key_info(),
            Signer::SmallRsa(k) => k.spki.clone(),
        }
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match &self.pair {
            Signer::Rcgen(k) => k.sign(msg).expect("rcgen signs"),
            Signer::SmallRsa(k) => k.sign(msg),
        }
    }
}

/// RSA PKCS#1 v1.5 signing from a PKCS#8 key, with SHA-256 or SHA-384.
pub struct SmallRsa {
    n: num_bigint::BigUint,
    d: num_bigint::BigUint,
    size: usize,
    sha384: bool,
    spki: Vec<u8>,
}

impl SmallRsa {
    pub fn from_pkcs8_pem(pem: &str, sha384: bool) -> SmallRsa {
        use base64::Engine;
        use meshcert_checks::x509::der::{INTEGER, OCTET_STRING, Reader, SEQUENCE};
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let mut info = Reader::new(Reader::new(&der).read(SEQUENCE).unwrap());
        info.read_integer_bytes(INTEGER).unwrap();
        info.read(SEQUENCE).unwrap();
        let key = info.read(OCTET_STRING).unwrap();
        let mut rsa = Reader::new(Reader::new(key).read(SEQUENCE).unwrap());
        rsa.read_integer_bytes(INTEGER).unwrap();
        let n = rsa.read_integer_bytes(INTEGER).unwrap();
        let e = rsa.read_integer_bytes(INTEGER).unwrap();
        let d = rsa.read_integer_bytes(INTEGER).unwrap();
        let public = seq(&[tlv(0x02, n), tlv(0x02, e)]);
        let spki = seq(&[
            seq(&[oid(&[1, 2, 840, 113549, 1, 1, 1]), null()]),
            bits(0, &public),
        ]);
        let n = num_bigint::BigUint::from_bytes_be(n);
        SmallRsa {
            size: n.bits().div_ceil(8) as usize,
            d: num_bigint::BigUint::from_bytes_be(d),
            n,
            sha384,
            spki,
        }
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let (prefix, digest): (&[u8], _) = if self.sha384 {
            (
                &[
                    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                    0x02, 0x02, 0x05, 0x00, 0x04, 0x30,
                ],
                ring::digest::digest(&ring::digest::SHA384, msg),
            )
        } else {
            (
                &[
                    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                    0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
                ],
                ring::digest::digest(&ring::digest::SHA256, msg),
            )
        };
        let t = [prefix, digest.as_ref()].concat();
        let mut em = vec![0x00, 0x01];
        em.extend(std::iter::repeat_n(0xff, self.size - t.len() - 3));
        em.push(0x00);
        em.extend(t);
        let s = num_bigint::BigUint::from_bytes_be(&em).modpow(&self.d, &self.n);
        let mut out = s.to_bytes_be();
        while out.len() < self.size {
            out.insert(0, 0);
        }
        out
    }
}

pub const RSA1024: &str = include_str!("../../../fixtures/generate/keys/rsa-1024.pem");
pub const RSA2048: &str = include_str!("../../../fixtures/generate/keys/rsa-2048.pem");
pub const RSA3072: &str = include_str!("../../../fixtures/generate/keys/rsa-3072.pem");
pub const RSA4096: &str = include_str!("../../../fixtures/generate/keys/rsa-4096.pem");

/// RSA-1024 (PKCS#1 v1.5, SHA-256 or SHA-384), signed without ring.
pub fn rsa1024(sha384: bool) -> Key {
    let last = if sha384 { 12 } else { 11 };
    Key {
        pair: Signer::SmallRsa(SmallRsa::from_pkcs8_pem(RSA1024, sha384)),
        alg: seq(&[oid(&[1, 2, 840, 113549, 1, 1, last]), null()]),
    }
}

pub fn ecdsa_sha256() -> Vec<u8> {
    seq(&[oid(&[1, 2, 840, 10045, 4, 3, 2])])
}

pub fn p256() -> Key {
    Key {
        pair: Signer::Rcgen(Box::new(
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        )),
        alg: ecdsa_sha256(),
    }
}

pub fn p384() -> Key {
    Key {
        pair: Signer::Rcgen(Box::new(
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
        )),
        alg: seq(&[oid(&[1, 2, 840, 10045, 4, 3, 3])]),
    }
}

pub fn ed25519() -> Key {
    Key {
        pair: Signer::Rcgen(Box::new(
            KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap(),
        )),
        alg: seq(&[oid(&[1, 3, 101, 112])]),
    }
}

pub fn rsa(pem: &str) -> Key {
    Key {
        pair: Signer::Rcgen(Box::new(
            KeyPair::from_pkcs8_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).unwrap(),
        )),
        alg: seq(&[oid(&[1, 2, 840, 113549, 1, 1, 11]), null()]),
    }
}

/// RSA PKCS#1 v1.5 with SHA-384 (`384`) or SHA-512 (`512`).
pub fn rsa_sha(pem: &str, bits: u32) -> Key {
    let (alg, last) = match bits {
        384 => (&rcgen::PKCS_RSA_SHA384, 12),
        _ => (&rcgen::PKCS_RSA_SHA512, 13),
    };
    Key {
        pair: Signer::Rcgen(Box::new(
            KeyPair::from_pkcs8_pem_and_sign_algo(pem, alg).unwrap(),
        )),
        alg: seq(&[oid(&[1, 2, 840, 113549, 1, 1, last]), null()]),
    }
}

/// One extension.
pub fn ext(id: &[u64], critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(boolean(true));
    }
    parts.push(octets(&value));
    seq(&parts)
}

pub fn basic_constraints(ca: bool, path_len: Option<i64>) -> Vec<u8> {
    let mut parts = Vec::new();
    if ca {
        parts.push(boolean(true));
    }
    if let Some(n) = path_len {
        parts.push(int(n));
    }
    ext(&[2, 5, 29, 19], true, seq(&parts))
}

/// Key usage from Go's bit numbers (0 digitalSignature … 5 keyCertSign, 6 cRLSign).
pub fn key_usage(bit_numbers: &[usize]) -> Vec<u8> {
    ext(&[2, 5, 29, 15], true, key_usage_bits(bit_numbers))
}

pub fn key_usage_bits(bit_numbers: &[usize]) -> Vec<u8> {
    let max = bit_numbers.iter().max().copied();
    let Some(max) = max else {
        return bits(0, &[]);
    };
    let len = max / 8 + 1;
    let mut b = vec![0u8; len];
    for &i in bit_numbers {
        b[i / 8] |= 0x80 >> (i % 8);
    }
    let unused = (7 - max % 8) as u8;
    bits(unused, &b)
}

pub const SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
pub const CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];
pub const ANY_EKU: &[u64] = &[2, 5, 29, 37, 0];

pub fn eku(usages: &[&[u64]]) -> Vec<u8> {
    ext(
        &[2, 5, 29, 37],
        false,
        seq(&usages.iter().map(|u| oid(u)).collect::<Vec<_>>()),
    )
}

/// A GeneralName.
pub enum Gn<'a> {
    Dns(&'a str),
    Email(&'a str),
    Uri(&'a str),
    Ip(Vec<u8>),
    Dir(Vec<u8>),
    Other,
}

pub fn general_name(g: &Gn<'_>) -> Vec<u8> {
    match g {
        Gn::Dns(s) => ctx(2, false, s.as_bytes()),
        Gn::Email(s) => ctx(1, false, s.as_bytes()),
        Gn::Uri(s) => ctx(6, false, s.as_bytes()),
        Gn::Ip(b) => ctx(7, false, b),
        Gn::Dir(name) => ctx(4, true, name),
        Gn::Other => ctx(
            0,
            true,
            &[
                oid(&[1, 3, 6, 1, 4, 1, 311, 20, 2, 3]),
                ctx(0, true, &utf8("x")),
            ]
            .concat(),
        ),
    }
}

pub fn san(names: &[Gn<'_>], critical: bool) -> Vec<u8> {
    ext(
        &[2, 5, 29, 17],
        critical,
        seq(&names.iter().map(general_name).collect::<Vec<_>>()),
    )
}

pub fn name_constraints(permitted: &[Gn<'_>], excluded: &[Gn<'_>], critical: bool) -> Vec<u8> {
    let subtrees = |list: &[Gn<'_>]| -> Vec<u8> {
        list.iter()
            .map(|g| seq(&[general_name(g)]))
            .collect::<Vec<_>>()
            .concat()
    };
    let mut parts = Vec::new();
    if !permitted.is_empty() {
        parts.push(ctx(0, true, &subtrees(permitted)));
    }
    if !excluded.is_empty() {
        parts.push(ctx(1, true, &subtrees(excluded)));
    }
    ext(&[2, 5, 29, 30], critical, seq(&parts))
}

pub fn subject_key_id(id: &[u8], critical: bool) -> Vec<u8> {
    ext(&[2, 5, 29, 14], critical, octets(id))
}

pub fn authority_key_id(id: &[u8], critical: bool) -> Vec<u8> {
    ext(&[2, 5, 29, 35], critical, seq(&[ctx(0, false, id)]))
}

/// The fields of a TBSCertificate; `cert` signs them.
#[derive(Clone)]
pub struct Tbs {
    /// The encoded version (2 = v3); `None` leaves it out (v1).
    pub version: Option<i64>,
    /// The serial INTEGER's content bytes.
    pub serial: Vec<u8>,
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    pub not_before: Vec<u8>,
    pub not_after: Vec<u8>,
    pub spki: Vec<u8>,
    pub extensions: Vec<Vec<u8>>,
    /// Overrides of the inner and outer signature AlgorithmIdentifiers.
    pub inner_alg: Option<Vec<u8>>,
    pub outer_alg: Option<Vec<u8>>,
}

impl Tbs {
    pub fn new(subject: Vec<u8>, issuer: Vec<u8>, spki: Vec<u8>) -> Tbs {
        Tbs {
            version: Some(2),
            serial: vec![0x01],
            issuer,
            subject,
            not_before: utc("250101000000Z"),
            not_after: utc("350101000000Z"),
            spki,
            extensions: Vec::new(),
            inner_alg: None,
            outer_alg: None,
        }
    }

    pub fn sign(&self, signer: &Key) -> Vec<u8> {
        let inner = self.inner_alg.clone().unwrap_or_else(|| signer.alg.clone());
        let outer = self.outer_alg.clone().unwrap_or_else(|| inner.clone());
        let mut parts = Vec::new();
        if let Some(v) = self.version {
            parts.push(ctx(0, true, &int(v)));
        }
        parts.push(tlv(0x02, &self.serial));
        parts.push(inner);
        parts.push(self.issuer.clone());
        parts.push(seq(&[self.not_before.clone(), self.not_after.clone()]));
        parts.push(self.subject.clone());
        parts.push(self.spki.clone());
        if !self.extensions.is_empty() {
            parts.push(ctx(3, true, &seq(&self.extensions)));
        }
        let tbs = seq(&parts);
        let sig = signer.sign(&tbs);
        seq(&[tbs, outer, bits(0, &sig)])
    }
}
