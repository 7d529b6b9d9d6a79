"""`tickets bench`: performance targets as ratios against same-run baselines."""
