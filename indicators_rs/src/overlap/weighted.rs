//! Weighted moving averages: WMA (linear weights) and TRIMA (triangular weights), with TA-Lib's running sums.

use super::too_short;

/// Weighted moving average (`TA_WMA`): weights 1..=period, newest heaviest, with running sums.
pub fn wma(input: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(input);
        return;
    }
    let lookback = period - 1;
    if too_short(out, lookback) {
        return;
    }
    let divider = ((period * (period + 1)) >> 1) as f64;
    let weight = period as f64;
    let mut period_sum = 0.0;
    let mut period_sub = 0.0;
    for (i, &x) in input[..lookback].iter().enumerate() {
        period_sub += x;
        period_sum += x * (i + 1) as f64;
    }
    // TA-Lib 0.8.1 recomputes both sums from scratch every `8 * period` outputs to stop drift.
    let resync_every = 8 * period;
    let mut countdown = resync_every;
    let mut trailing_value = 0.0;
    for i in lookback..input.len() {
        countdown -= 1;
        if countdown == 0 {
            countdown = resync_every;
            let start = i + 1 - period;
            let (mut sub, mut sum) = (0.0, 0.0);
            for (w, &x) in input[start..=i].iter().enumerate() {
                sub += x;
                sum += (w + 1) as f64 * x;
            }
            out[i] = sum / divider;
            period_sub = sub;
            period_sum = sum - sub;
            trailing_value = input[start];
            continue;
        }
        let x = input[i];
        period_sub += x;
        period_sub -= trailing_value;
        period_sum += x * weight;
        trailing_value = input[i - lookback];
        out[i] = period_sum / divider;
        period_sum -= period_sub;
    }
}

/// Triangular moving average (`TA_TRIMA`), with TA-Lib's running numerator for odd and even periods.
pub fn trima(input: &[f64], period: usize, out: &mut [f64]) {
    let lookback = period - 1;
    if too_short(out, lookback) {
        return;
    }
    let half = period >> 1;
    let odd = period % 2 == 1;
    let factor = if odd {
        1.0 / ((half + 1) * (half + 1)) as f64
    } else {
        1.0 / (half * (half + 1)) as f64
    };
    let mut trailing = 0usize;
    let mut middle = if odd { half } else { half - 1 };
    let mut today = middle + half;
    let mut numerator = 0.0;
    let mut numerator_sub = 0.0;
    for i in (trailing..=middle).rev() {
        numerator_sub += input[i];
        numerator += numerator_sub;
    }
    let mut numerator_add = 0.0;
    middle += 1;
    for &x in &input[middle..=today] {
        numerator_add += x;
        numerator += numerator_add;
    }
    let mut temp = input[trailing];
    trailing += 1;
    out[lookback] = numerator * factor;
    today += 1;
    while today < input.len() {
        numerator -= numerator_sub;
        numerator_sub -= temp;
        temp = input[middle];
        middle += 1;
        numerator_sub += temp;
        if odd {
            numerator += numerator_add;
            numerator_add -= temp;
        } else {
            numerator_add -= temp;
            numerator += numerator_add;
        }
        temp = input[today];
        numerator_add += temp;
        numerator += temp;
        out[today] = numerator * factor;
        today += 1;
        temp = input[trailing];
        trailing += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wma_and_trima_match_hand_computed_values() {
        let input = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = [0.0; 5];
        wma(&input, 3, &mut out);
        assert_eq!(&out[2..], &[14.0 / 6.0, 20.0 / 6.0, 26.0 / 6.0]);
        trima(&input, 4, &mut out);
        assert_eq!(
            &out[3..],
            &[(1.0 + 4.0 + 6.0 + 4.0) / 6.0, (2.0 + 6.0 + 8.0 + 5.0) / 6.0]
        );
    }
}
