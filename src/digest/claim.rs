//! What a delivery claim says about who made it, so that a hand-over interrupted by a crash is
//! settled by a process that can read the dead worker's hand-over journal — its own restart, or
//! another replica on the same machine — and by nobody who cannot.
//!
//! A claim is `<host>|<process>|<random>|<journal directory>` (the directory last: a path may
//! hold any character). Claims of another host are left to it: only that machine's disk can say
//! whether the `.` was written.

use std::path::{Path, PathBuf};

/// The maker of this process's claims.
#[derive(Clone, Debug)]
pub struct ClaimMaker {
    host: String,
    process: String,
    journal_dir: PathBuf,
}

/// A claim read back.
#[derive(Debug, PartialEq, Eq)]
struct ClaimOwner<'a> {
    host: &'a str,
    process: &'a str,
    journal_dir: &'a Path,
}

impl ClaimOwner<'_> {
    fn parse(claim: &str) -> Option<ClaimOwner<'_>> {
        let mut parts = claim.splitn(4, '|');
        let host = parts.next()?;
        let process = parts.next()?;
        let _random = parts.next()?;
        let journal_dir = Path::new(parts.next()?);
        journal_dir.is_absolute().then_some(ClaimOwner {
            host,
            process,
            journal_dir,
        })
    }
}

impl ClaimMaker {
    pub fn new(journal_dir: &Path) -> ClaimMaker {
        ClaimMaker {
            host: host_name(),
            process: crate::process::this_process(),
            journal_dir: std::path::absolute(journal_dir).unwrap_or_else(|_| journal_dir.to_owned()),
        }
    }

    /// A new claim of this process.
    pub fn claim(&self) -> String {
        self.claim_with(&crate::secrets::random_token())
    }

    pub fn claim_with(&self, random: &str) -> String {
        format!("{}|{}|{random}|{}", self.host, self.process, self.journal_dir.display())
    }

    /// The journal that settles `claim`'s interrupted hand-over, when this process may settle it:
    /// the claim is its own, or its maker is a process of this machine that no longer runs
    /// (killed; or from before a reboot, when it used this very journal). `None`: leave it to
    /// whoever can (its maker, still working; or its machine).
    pub fn journal_to_settle(&self, claim: &str) -> Option<PathBuf> {
        let owner = ClaimOwner::parse(claim)?;
        if owner.host != self.host {
            return None;
        }
        let mine = owner.process == self.process;
        let gone = crate::process::is_gone_here(owner.process);
        let before_a_reboot = owner.journal_dir == self.journal_dir
            && owner.process.split_once(" pid ").map(|(view, _)| view) != Some(crate::process::view());
        (mine || gone || before_a_reboot).then(|| owner.journal_dir.to_owned())
    }
}

/// This machine's name, so claims made by two machines sharing a database never mix.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_settled_by_their_maker_or_over_its_grave_and_by_nobody_else() {
        let maker = ClaimMaker::new(Path::new("/srv/a|b/digest-journal"));
        let claim = maker.claim();
        assert_eq!(
            ClaimOwner::parse(&claim).expect("parses").journal_dir,
            Path::new("/srv/a|b/digest-journal"),
            "a path with the separator in it survives"
        );
        assert_eq!(
            maker.journal_to_settle(&claim).as_deref(),
            Some(Path::new("/srv/a|b/digest-journal"))
        );

        // Another replica of this machine, with its own journal.
        let mut child = std::process::Command::new("true").spawn().expect("spawns");
        let dead = ClaimMaker {
            process: crate::process::name_of(child.id()),
            journal_dir: PathBuf::from("/srv/other/digest-journal"),
            ..maker.clone()
        };
        let alive = ClaimMaker {
            process: crate::process::name_of(1),
            ..dead.clone()
        };
        assert_eq!(maker.journal_to_settle(&alive.claim()), None, "still working");
        child.wait().expect("reaped");
        assert_eq!(
            maker.journal_to_settle(&dead.claim()).as_deref(),
            Some(Path::new("/srv/other/digest-journal")),
            "killed: its journal says"
        );

        // This journal's maker before a reboot; another boot's process with another journal.
        let rebooted = ClaimMaker {
            process: "another-view pid 42".to_owned(),
            ..maker.clone()
        };
        assert!(maker.journal_to_settle(&rebooted.claim()).is_some());
        let elsewhere = ClaimMaker {
            journal_dir: PathBuf::from("/srv/other/digest-journal"),
            ..rebooted
        };
        assert_eq!(maker.journal_to_settle(&elsewhere.claim()), None);

        // Another host, or a claim of an older format.
        let other_host = ClaimMaker {
            host: "elsewhere".to_owned(),
            ..maker.clone()
        };
        assert_eq!(maker.journal_to_settle(&other_host.claim()), None);
        assert_eq!(maker.journal_to_settle("0123456789abcdef/feed"), None);
    }
}
