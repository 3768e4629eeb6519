//! Login throttling: a few free failures, then an exponentially growing lock that always ends.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures allowed before any lock.
    pub free_failures: u32,
    pub first_lock: Duration,
    pub max_lock: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            free_failures: 5,
            first_lock: Duration::from_secs(1),
            max_lock: Duration::from_secs(15 * 60),
        }
    }
}

impl Policy {
    /// How long to lock after `failures` consecutive failures: nothing for the free ones, then
    /// 1 s, 2 s, 4 s, … up to the maximum.
    pub fn lock_after(&self, failures: u32) -> Option<Duration> {
        if failures < self.free_failures {
            return None;
        }
        let doublings = (failures - self.free_failures).min(30);
        let lock = self.first_lock.saturating_mul(1u32 << doublings.min(20));
        Some(lock.min(self.max_lock))
    }

    /// Every distinct lock, as `(n, lock after the n-th failure)` from the first lock up to the
    /// one that reaches the maximum: what the database applies when it counts a failure.
    pub fn schedule(&self) -> Vec<(u32, Duration)> {
        let first = self.free_failures.max(1);
        let mut steps = Vec::new();
        for n in first..first.saturating_add(32) {
            let Some(lock) = self.lock_after(n) else {
                continue;
            };
            steps.push((n, lock));
            if lock >= self.max_lock {
                break;
            }
        }
        steps
    }
}

/// The part of a client address that counts as one client: an IPv4 address, or the /64 network
/// of an IPv6 address, since one subscriber usually gets a whole /64 and could otherwise start
/// afresh from each of its 2^64 addresses. Anything unparsable is used as it is.
pub fn client_network(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_and_caps() {
        let p = Policy::default();
        assert_eq!(p.lock_after(4), None);
        assert_eq!(p.lock_after(5), Some(Duration::from_secs(1)));
        assert_eq!(p.lock_after(6), Some(Duration::from_secs(2)));
        assert_eq!(p.lock_after(9), Some(Duration::from_secs(16)));
        assert_eq!(p.lock_after(40), Some(Duration::from_secs(900)));
        assert_eq!(p.lock_after(u32::MAX), Some(Duration::from_secs(900)));
    }

    #[test]
    fn the_schedule_lists_each_lock_once() {
        let p = Policy::default();
        let s = p.schedule();
        assert_eq!(s.first(), Some(&(5, Duration::from_secs(1))));
        assert_eq!(s.last(), Some(&(15, Duration::from_secs(900))));
        for (n, lock) in &s {
            assert_eq!(p.lock_after(*n), Some(*lock));
        }
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(client_network("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            client_network("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(client_network("2001:db8:1:3::1"), "2001:db8:1:2::/64");
        assert_eq!(client_network("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(client_network("192.0.2.7"), "192.0.2.7");
        assert_eq!(client_network("unknown"), "unknown");
    }
}
