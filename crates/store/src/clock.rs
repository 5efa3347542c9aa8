//! Wall-clock time for whatever happens at a time of day or after a while (schedules,
//! reminders, expiry), through a [`Clock`] a test can move: [`Clock::manual`] starts at a
//! chosen instant and only moves when told, and whatever sleeps on it wakes as it passes;
//! [`Clock::movable`] runs with the machine's clock and can be moved forward (a process whose
//! end-to-end test jumps to a time of day: `clock.movable`, `POST /admin/clock`).
//! Modules get the process's clock in their context (`ModuleContext::clock` in hybrid-core);
//! it lives here, at the bottom of the stack, so the store's users below core (the jobs)
//! read the same time.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

#[derive(Clone)]
pub struct Clock(Arc<Kind>);

enum Kind {
    System,
    /// Unix milliseconds, moved by [`Clock::advance`] and [`Clock::set`].
    Manual(watch::Sender<i64>),
    /// The machine's clock plus milliseconds that only grow, moved as `Manual` is.
    Movable(watch::Sender<i64>),
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Kind::System => f.write_str("Clock::system"),
            Kind::Manual(_) => write!(f, "Clock::manual({})", self.now_ms()),
            Kind::Movable(_) => write!(f, "Clock::movable({})", self.now_ms()),
        }
    }
}

impl Clock {
    /// The machine's clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Kind::System))
    }

    /// A clock that stands at `start_ms` (Unix milliseconds) until moved.
    pub fn manual(start_ms: i64) -> Clock {
        Clock(Arc::new(Kind::Manual(watch::Sender::new(start_ms))))
    }

    /// The machine's clock, which [`advance`](Self::advance) and [`set`](Self::set) move
    /// forward; it runs on from wherever it was moved to.
    pub fn movable() -> Clock {
        Clock(Arc::new(Kind::Movable(watch::Sender::new(0))))
    }

    /// Whether [`advance`](Self::advance) and [`set`](Self::set) may move it.
    pub fn is_movable(&self) -> bool {
        !matches!(&*self.0, Kind::System)
    }

    /// Unix milliseconds now.
    pub fn now_ms(&self) -> i64 {
        match &*self.0 {
            Kind::System => crate::time::now_ms(),
            Kind::Manual(now) => *now.borrow(),
            Kind::Movable(shift) => crate::time::now_ms() + *shift.borrow(),
        }
    }

    /// Moves a manual clock forward; sleepers whose time has come wake.
    pub fn advance(&self, by: Duration) {
        self.set(self.now_ms() + by.as_millis() as i64);
    }

    /// Moves a manual clock to `at_ms` (never backwards). A system clock cannot be moved.
    pub fn set(&self, at_ms: i64) {
        match &*self.0 {
            Kind::System => panic!("the system clock cannot be moved; use Clock::manual in tests"),
            Kind::Manual(now) => now.send_modify(|now| *now = (*now).max(at_ms)),
            Kind::Movable(shift) => {
                shift.send_modify(|shift| *shift = (*shift).max(at_ms - crate::time::now_ms()));
            }
        }
    }

    /// Resolves once the clock reads `at_ms` or later.
    pub async fn sleep_until(&self, at_ms: i64) {
        match &*self.0 {
            Kind::System => {
                let left = at_ms - crate::time::now_ms();
                if left > 0 {
                    tokio::time::sleep(Duration::from_millis(left as u64)).await;
                }
            }
            Kind::Manual(now) => {
                let mut moves = now.subscribe();
                let _ = moves.wait_for(|now| *now >= at_ms).await;
            }
            Kind::Movable(shift) => {
                let mut moves = shift.subscribe();
                loop {
                    let left = at_ms - self.now_ms();
                    if left <= 0 {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(left as u64)) => {}
                        _ = moves.changed() => {}
                    }
                }
            }
        }
    }

    /// Resolves after `duration` by this clock.
    pub async fn sleep(&self, duration: Duration) {
        self.sleep_until(self.now_ms() + duration.as_millis() as i64).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_moves_only_when_told_and_wakes_its_sleepers() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move {
                clock.sleep(Duration::from_secs(60)).await;
                clock.now_ms()
            }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(30));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "30 s of 60 passed");
        clock.advance(Duration::from_secs(31));
        assert_eq!(sleeper.await.unwrap(), 62_000);
        clock.set(10);
        assert_eq!(clock.now_ms(), 62_000, "never backwards");
        // a time already passed does not wait
        clock.sleep_until(5).await;
    }

    #[tokio::test]
    async fn a_movable_clock_runs_and_jumps_forward_waking_its_sleepers() {
        let clock = Clock::movable();
        let before = crate::time::now_ms();
        assert!((clock.now_ms() - before).abs() < 1_000, "starts at the machine's time");
        let hour = Duration::from_secs(3600);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move {
                clock.sleep(hour).await;
                clock.now_ms()
            }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(2 * 3600));
        let woke = tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .unwrap()
            .unwrap();
        assert!(woke >= before + 2 * 3_600_000, "woke after the jump");
        clock.set(before);
        assert!(clock.now_ms() >= before + 2 * 3_600_000, "never backwards");
        assert!(clock.is_movable() && !Clock::system().is_movable());
    }

    #[tokio::test]
    async fn the_system_clock_is_the_machine_clock() {
        let clock = Clock::system();
        let before = crate::time::now_ms();
        assert!((clock.now_ms() - before).abs() < 1_000);
        clock.sleep_until(before - 1).await;
    }
}
