//! Login throttling: a few free failures, then an exponentially growing lock that always ends.

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
}
