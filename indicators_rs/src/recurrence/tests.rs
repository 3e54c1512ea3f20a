use super::*;

/// An EMA whose settle can be set, to force the fallback.
struct Ema {
    period: usize,
    settle: usize,
}

impl Recurrence<1, 1, 1> for Ema {
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn settle(&self) -> usize {
        self.settle
    }
    fn seed(&self, [x]: [&[f64]; 1], [out]: [&mut [f64]; 1]) -> [f64; 1] {
        let p = self.period;
        out[..p - 1].fill(f64::NAN);
        let seed = x[..p].iter().sum::<f64>() / p as f64;
        out[p - 1] = seed;
        [seed]
    }
    fn guess(&self, [x]: [&[f64]; 1], at: usize) -> [f64; 1] {
        [x[at] * 3.0]
    }
    fn step(&self, [prev]: &mut [f64; 1], [x]: [&[f64]; 1], i: usize) -> [f64; 1] {
        let k = 2.0 / (self.period as f64 + 1.0);
        *prev = (x[i] - *prev).mul_add(k, *prev);
        [*prev]
    }
}

fn walk_of(n: usize) -> Vec<f64> {
    let mut x = 100.0;
    (0..n)
        .map(|i| {
            x += ((i * 7919 % 1000) as f64 - 499.5) * 1e-3;
            x
        })
        .collect()
}

#[test]
fn a_split_series_equals_the_sequential_walk_bit_for_bit() {
    let x = walk_of(300_000);
    for (period, settle) in [(10, 1_000), (200, 10_000)] {
        let r = Ema { period, settle };
        let mut want = vec![0.0; x.len()];
        run(&r, [&x], [&mut want]);
        let mut got = vec![0.0; x.len()];
        assert_eq!(
            run_split(&r, [&x], [&mut got]),
            outcome(Seen::default(), period - 1, x.len())
        );
        let same_bits = want
            .iter()
            .zip(&got)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same_bits, "period {period}");
    }
}

#[test]
fn states_that_never_meet_fall_back_to_the_exact_walk() {
    // Far too short a settle for a 5,000-bar EMA: the guess has not converged at the split.
    let x = walk_of(200_000);
    let r = Ema {
        period: 5_000,
        settle: 2,
    };
    let mut want = vec![0.0; x.len()];
    run(&r, [&x], [&mut want]);
    let mut got = vec![0.0; x.len()];
    assert_ne!(run_split(&r, [&x], [&mut got]), CheckedRun::MissingBar);
    assert!(want
        .iter()
        .zip(&got)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn a_missing_bar_in_either_half_is_reported() {
    let r = Ema {
        period: 10,
        settle: 1_000,
    };
    for at in [5, 150_000, 299_999] {
        let mut x = walk_of(300_000);
        x[at] = f64::NAN;
        let mut out = vec![0.0; x.len()];
        assert_eq!(
            run_split(&r, [&x], [&mut out]),
            CheckedRun::MissingBar,
            "missing bar at {at}"
        );
        assert_eq!(
            run_checked(&r, [&x], [&mut out]),
            CheckedRun::MissingBar,
            "missing bar at {at}"
        );
    }
}

#[test]
fn short_series_are_all_warm_up() {
    let r = Ema {
        period: 5,
        settle: 10,
    };
    let mut out = [0.0; 4];
    run(&r, [&[1.0, 2.0, 3.0, 4.0]], [&mut out]);
    assert!(out.iter().all(|v| v.is_nan()));
}
