"""Prints one Locust run's figures from its stats CSV: requests per second, p50/p95/p99 per page, error rate."""

import csv
import sys


def main(path: str) -> None:
    with open(path, newline="") as stats:
        rows = list(csv.DictReader(stats))
    pages = [row for row in rows if row["Name"] != "Aggregated"]
    total = next(row for row in rows if row["Name"] == "Aggregated")
    width = max(len(row["Name"]) for row in pages)
    print(f"{'page':{width}}  {'requests':>8}  {'errors':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}")
    for row in sorted(pages, key=lambda row: row["Name"]):
        print(
            f"{row['Name']:{width}}  {row['Request Count']:>8}  {row['Failure Count']:>6}  "
            f"{row['50%']:>7}  {row['95%']:>7}  {row['99%']:>7}"
        )
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    rate = failures / requests if requests else 0
    print(
        f"all requests: {float(total['Requests/s']):.1f} requests/s, p50 {total['50%']} ms, p95 {total['95%']} ms, "
        f"p99 {total['99%']} ms, errors {failures}/{requests} ({rate:.2%})"
    )
    working = [row for row in pages if not row["Name"].startswith("sign in") and row["Name"] != "two-factor code"]
    done, failed = sum(int(row["Request Count"]) for row in working), sum(int(row["Failure Count"]) for row in working)
    print(
        f"after signing in: {sum(float(row['Requests/s']) for row in working):.1f} requests/s, "
        f"errors {failed}/{done} ({failed / done if done else 0:.2%})"
    )


if __name__ == "__main__":
    main(sys.argv[1])
