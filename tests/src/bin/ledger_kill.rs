//! Helper process for the kill tests of the ledger: `ledger_kill <url> dml|mixed`
//! upgrades one of two chains to head. Both fill a 200,000-row table first; then
//! `dml` updates every row in batches (data only), `mixed` creates a table,
//! updates every row in batches and creates another. The update says
//! `UPDATING` on stderr before its first batch, so a test can kill it midway.

use migrate_runtime::prelude::*;

const ROWS: i64 = 200_000;
const BATCH: i64 = 2_000;

fn fill(op: &mut Op) -> Result<()> {
    op.create_table("big")
        .column(col::<BigInt>("id").primary_key())
        .column(col::<Integer>("v"));
    // 200,000 rows from six digit tables, in one statement.
    let d = "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
    op.execute(format!(
        "INSERT INTO big (id, v) SELECT 1 + d1.n + 10 * d2.n + 100 * d3.n + 1000 * d4.n + 10000 * d5.n + 100000 * d6.n, 0 \
         FROM {d} d1, {d} d2, {d} d3, {d} d4, {d} d5, {d} d6 WHERE d6.n < 2"
    ));
    Ok(())
}

fn unfill(op: &mut Op) -> Result<()> {
    op.drop_table("big");
    Ok(())
}

/// Adds 1 to every row, a batch at a time, slowly enough to be killed midway.
fn bump(op: &mut Op) {
    op.run("bump every row", |conn| {
        eprintln!("UPDATING");
        let mut lo = 0;
        while lo < ROWS {
            conn.execute(&format!(
                "UPDATE big SET v = v + 1 WHERE id > {lo} AND id <= {}",
                lo + BATCH
            ))?;
            std::thread::sleep(std::time::Duration::from_millis(20));
            lo += BATCH;
        }
        Ok(())
    });
}

fn dml(op: &mut Op) -> Result<()> {
    bump(op);
    Ok(())
}

fn mixed(op: &mut Op) -> Result<()> {
    op.create_table("before_update")
        .column(col::<Integer>("id"));
    bump(op);
    op.create_table("after_update").column(col::<Integer>("id"));
    Ok(())
}

fn undo_mixed(op: &mut Op) -> Result<()> {
    op.drop_table("after_update");
    op.drop_table("before_update");
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(which)) = (args.next(), args.next()) else {
        eprintln!("usage: ledger_kill <url> dml|mixed");
        std::process::exit(2);
    };
    let second = match which.as_str() {
        "dml" => Migration::new("k2", Some("k1"), "bump", dml, None),
        "mixed" => Migration::new(
            "k2",
            Some("k1"),
            "bump between tables",
            mixed,
            Some(undo_mixed),
        ),
        _ => {
            eprintln!("unknown chain {which}");
            std::process::exit(2);
        }
    };
    let result = Chain::new(vec![
        Migration::new("k1", None, "fill", fill, Some(unfill)),
        second,
    ])
    .and_then(|chain| {
        let mut conn = AnyConnection::establish(&url)?;
        migrate_runtime::Migrator::new(&chain)
            .on_step(|s| eprintln!("{}", s.log_line()))
            .upgrade(&mut conn, "head")
            .map(|_| ())
    });
    if let Err(e) = result {
        eprintln!("ERROR: {e}");
        std::process::exit(1);
    }
}
