//! The stage of a rotation, decided from a few observed signals and nothing else.

use super::Stage;
use super::observe::Facts;

/// What the stage depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Signals {
    /// The bundle holds the anchor that signed the issuer.
    pub signer_bundled: bool,
    /// Some proxy does not trust the anchor that signed the issuer.
    pub proxies_lack_signer: bool,
    /// One of those proxies holds an anchor the bundle no longer has.
    pub lacking_ones_hold_removed: bool,
    /// How many anchors the bundle holds.
    pub bundled: usize,
    /// Some proxy holds an anchor the bundle no longer has.
    pub proxies_carry_removed: bool,
    /// The issuer was signed by the bundle's newest anchor.
    pub signer_is_newest: bool,
    /// Some proxy does not trust the bundle's newest anchor.
    pub proxies_lack_newest: bool,
    /// Some pod was created before the issuer (or at an unknown time).
    pub pods_before_issuer: bool,
}

impl Signals {
    pub fn of(f: &Facts<'_>) -> Signals {
        let p = &f.proxies;
        Signals {
            signer_bundled: f.in_bundle.contains(&f.signer_fp()),
            proxies_lack_signer: !p.lacking_signer.is_empty(),
            lacking_ones_hold_removed: p.lacking_signer_hold_removed,
            bundled: f.in_bundle.len(),
            proxies_carry_removed: !p.carrying_removed.is_empty(),
            signer_is_newest: f.signer_fp() == f.newest,
            proxies_lack_newest: !p.lacking_new.is_empty(),
            pods_before_issuer: !p.before_issuer.is_empty(),
        }
    }
}

/// The stage the signals describe; the dangerous ones first.
pub(super) fn classify(s: &Signals) -> Stage {
    if s.proxies_lack_signer || !s.signer_bundled {
        if !s.signer_bundled || s.lacking_ones_hold_removed {
            Stage::OldAnchorRemovedTooEarly
        } else {
            Stage::IssuerAheadOfProxies
        }
    } else if s.bundled == 1 {
        if s.proxies_carry_removed {
            Stage::Done
        } else {
            Stage::Before
        }
    } else if !s.signer_is_newest {
        if s.proxies_lack_newest {
            Stage::BundleDeployed
        } else {
            Stage::WorkloadsRestarted
        }
    } else if s.pods_before_issuer {
        Stage::IssuerDeployed
    } else {
        Stage::OldAnchorUnused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALTHY: Signals = Signals {
        signer_bundled: true,
        proxies_lack_signer: false,
        lacking_ones_hold_removed: false,
        bundled: 1,
        proxies_carry_removed: false,
        signer_is_newest: true,
        proxies_lack_newest: false,
        pods_before_issuer: false,
    };

    #[test]
    fn each_stage_from_its_signals() {
        let two = Signals {
            bundled: 2,
            ..HEALTHY
        };
        let table: [(Signals, Stage); 10] = [
            (HEALTHY, Stage::Before),
            (
                Signals {
                    pods_before_issuer: true,
                    ..HEALTHY
                },
                Stage::Before,
            ),
            (
                Signals {
                    proxies_carry_removed: true,
                    ..HEALTHY
                },
                Stage::Done,
            ),
            (
                Signals {
                    signer_is_newest: false,
                    proxies_lack_newest: true,
                    ..two
                },
                Stage::BundleDeployed,
            ),
            (
                Signals {
                    signer_is_newest: false,
                    ..two
                },
                Stage::WorkloadsRestarted,
            ),
            (
                Signals {
                    pods_before_issuer: true,
                    ..two
                },
                Stage::IssuerDeployed,
            ),
            (two, Stage::OldAnchorUnused),
            (
                Signals {
                    proxies_lack_signer: true,
                    ..two
                },
                Stage::IssuerAheadOfProxies,
            ),
            (
                Signals {
                    proxies_lack_signer: true,
                    lacking_ones_hold_removed: true,
                    ..two
                },
                Stage::OldAnchorRemovedTooEarly,
            ),
            (
                Signals {
                    signer_bundled: false,
                    ..HEALTHY
                },
                Stage::OldAnchorRemovedTooEarly,
            ),
        ];
        for (signals, stage) in table {
            assert_eq!(classify(&signals), stage, "{signals:?}");
        }
    }
}
