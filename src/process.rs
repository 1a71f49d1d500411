//! Naming this process so that another process sharing the database can tell, later, whether it
//! still runs: the harvest lease's holder and the digest claims carry such a name.
//!
//! A pid means something only inside one boot of one machine and one pid namespace (containers
//! on one host share the boot id but not the pids), and a path only inside one mount namespace;
//! so a name is `<view> pid <pid>`, where the view hashes the boot id and both namespaces. Two
//! processes with the same view see the same processes and the same files.

use std::sync::OnceLock;

/// This process's view of the machine: boot id, pid namespace and mount namespace, hashed.
pub fn view() -> &'static str {
    static VIEW: OnceLock<String> = OnceLock::new();
    VIEW.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok();
        let pid_namespace = std::fs::read_link("/proc/self/ns/pid").ok();
        let mount_namespace = std::fs::read_link("/proc/self/ns/mnt").ok();
        match (boot, pid_namespace, mount_namespace) {
            (Some(boot), Some(pids), Some(mounts)) => {
                let seen = format!("{}\0{}\0{}", boot.trim(), pids.display(), mounts.display());
                crate::secrets::hash_token(&seen)[..16].to_owned()
            }
            // Without /proc nothing can be told about other processes.
            _ => UNKNOWN_VIEW.to_owned(),
        }
    })
}

const UNKNOWN_VIEW: &str = "unknown-view";

/// `<view> pid <pid>`: the name of process `pid` as this process sees it.
pub fn name_of(pid: u32) -> String {
    format!("{} pid {pid}", view())
}

/// This process's name.
pub fn this_process() -> String {
    name_of(std::process::id())
}

/// Whether `name` is a process of this view that no longer runs (killed, crashed, exited). A
/// process of another view, or an unreadable name, is never called gone: nothing can be told.
pub fn is_gone_here(name: &str) -> bool {
    let Some((view_of_name, pid)) = name.split_once(" pid ") else {
        return false;
    };
    let Ok(pid) = pid.parse::<i32>() else { return false };
    if view_of_name != view() || view_of_name == UNKNOWN_VIEW || pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
    let alive =
        unsafe { libc::kill(pid, 0) } == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
    !alive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_process_of_this_view_is_recognised_and_nothing_else() {
        assert!(!is_gone_here(&this_process()), "this process lives");
        // A child that has exited and been reaped.
        let mut child = std::process::Command::new("true").spawn().expect("spawns");
        let pid = child.id();
        child.wait().expect("waits");
        assert!(is_gone_here(&name_of(pid)));
        assert!(
            !is_gone_here(&format!("another-machine pid {pid}")),
            "another machine or container: unknown"
        );
        assert!(!is_gone_here("garbage"));
        assert!(!is_gone_here(&format!("{} pid -1", view())));
    }
}
