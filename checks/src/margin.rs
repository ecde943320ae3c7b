//! Expiry margins: how long before notAfter a "valid for at least …" check warns, per
//! certificate role, as a fixed duration or a share of the certificate's lifetime.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};

/// The expiry margin: a whole number of days, hours or minutes (`60d`, `48h`, `90m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Margin(TimeDelta);

impl Margin {
    pub const LINKERD_DEFAULT: Margin = Margin(TimeDelta::days(60));

    pub fn delta(self) -> TimeDelta {
        self.0
    }

    pub fn from_delta(delta: TimeDelta) -> Margin {
        Margin(delta)
    }
}

impl Default for Margin {
    fn default() -> Self {
        Margin::LINKERD_DEFAULT
    }
}

impl FromStr for Margin {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "invalid duration {s:?}: expected a whole number of days, hours or minutes, such as 60d, 48h or 90m"
            )
        };
        let secs = crate::units::whole_with_unit(s, &[("d", 86_400), ("h", 3_600), ("m", 60)])
            .ok_or_else(bad)?;
        let delta = i64::try_from(secs).ok().and_then(TimeDelta::try_seconds);
        delta.map(Margin).ok_or_else(bad)
    }
}

impl fmt::Display for Margin {
    /// `60 days`, `1 day`, `36 hours`, `90 minutes`: the largest unit that divides exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mins = self.0.num_minutes();
        if self.0 != TimeDelta::minutes(mins) {
            let secs = self.0.num_seconds();
            return write!(f, "{secs} second{}", if secs == 1 { "" } else { "s" });
        }
        let (n, unit) = if mins % (24 * 60) == 0 {
            (mins / (24 * 60), "day")
        } else if mins % 60 == 0 {
            (mins / 60, "hour")
        } else {
            (mins, "minute")
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// Whose certificates a margin applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginRole {
    TrustAnchors,
    Issuer,
    /// Webhook and API-service serving certificates.
    Webhooks,
}

/// An expiry margin: a fixed duration, or a share of the certificate's lifetime (with
/// cert-manager's 48-hour issuers, a fixed 60 days warns forever; 33% of the lifetime does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginSpec {
    Fixed(Margin),
    /// Percent of the certificate's lifetime (notBefore to notAfter), 1 to 100.
    Lifetime(u8),
}

impl Default for MarginSpec {
    fn default() -> Self {
        MarginSpec::Fixed(Margin::LINKERD_DEFAULT)
    }
}

impl FromStr for MarginSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().strip_suffix('%') {
            Some(n) => match n.trim().parse::<u8>() {
                Ok(p) if (1..=100).contains(&p) => Ok(MarginSpec::Lifetime(p)),
                _ => Err(format!(
                    "invalid margin {s:?}: a percentage of the lifetime is a whole number from 1% to 100%"
                )),
            },
            None => s.parse().map(MarginSpec::Fixed).map_err(|e: String| {
                format!("{e}, or a percentage of the certificate's lifetime such as 33%")
            }),
        }
    }
}

impl fmt::Display for MarginSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MarginSpec::Fixed(m) => m.fmt(f),
            MarginSpec::Lifetime(p) => write!(f, "{p}% of lifetime"),
        }
    }
}

impl MarginSpec {
    /// The margin for a certificate valid from `not_before` to `not_after`.
    pub fn for_validity(self, not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> TimeDelta {
        match self {
            MarginSpec::Fixed(m) => m.delta(),
            MarginSpec::Lifetime(p) => (not_after - not_before) * i32::from(p) / 100,
        }
    }
}

/// The margin of each role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Margins {
    pub trust_anchors: MarginSpec,
    pub issuer: MarginSpec,
    pub webhooks: MarginSpec,
}

impl Margins {
    /// The same margin for every role.
    pub fn all(spec: MarginSpec) -> Margins {
        Margins {
            trust_anchors: spec,
            issuer: spec,
            webhooks: spec,
        }
    }

    pub fn get_mut(&mut self, role: MarginRole) -> &mut MarginSpec {
        match role {
            MarginRole::TrustAnchors => &mut self.trust_anchors,
            MarginRole::Issuer => &mut self.issuer,
            MarginRole::Webhooks => &mut self.webhooks,
        }
    }

    pub fn get(&self, role: MarginRole) -> MarginSpec {
        match role {
            MarginRole::TrustAnchors => self.trust_anchors,
            MarginRole::Issuer => self.issuer,
            MarginRole::Webhooks => self.webhooks,
        }
    }
}
