//! Every name an operation gives the database, for the identifier limits
//! that are checked before anything runs.

use super::column::ColumnDef;
use super::Operation;

impl Operation {
    /// The names this operation writes into the database, with what each names.
    /// Raw SQL and data steps are not read.
    pub(crate) fn names(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        self.collect_names(&mut out);
        out
    }

    fn collect_names<'a>(&'a self, out: &mut Vec<(&'static str, &'a str)>) {
        let column = |c: &'a ColumnDef, out: &mut Vec<(&'static str, &'a str)>| {
            out.push(("column", &c.name));
            if let Some((t, col)) = &c.references {
                out.push(("table", t));
                out.push(("column", col));
            }
        };
        let columns = |cs: &'a [String], out: &mut Vec<(&'static str, &'a str)>| {
            out.extend(cs.iter().map(|c| ("column", c.as_str())));
        };
        match self {
            Operation::CreateTable(t) => {
                out.push(("table", &t.name));
                for c in &t.columns {
                    column(c, out);
                }
                if let Some((name, cs)) = &t.primary_key {
                    out.extend(name.as_deref().map(|n| ("constraint", n)));
                    columns(cs, out);
                }
                for fk in &t.foreign_keys {
                    out.extend(fk.name.as_deref().map(|n| ("constraint", n)));
                    columns(&fk.columns, out);
                    out.push(("table", &fk.ref_table));
                    columns(&fk.ref_columns, out);
                }
                for (name, cs) in &t.uniques {
                    out.extend(name.as_deref().map(|n| ("constraint", n)));
                    columns(cs, out);
                }
                for (name, _) in &t.checks {
                    out.extend(name.as_deref().map(|n| ("constraint", n)));
                }
            }
            Operation::DropTable { name, .. } => out.push(("table", name)),
            Operation::RenameTable { from, to } => {
                out.push(("table", from));
                out.push(("table", to));
            }
            Operation::AddColumn {
                table, column: c, ..
            } => {
                out.push(("table", table));
                column(c, out);
            }
            Operation::DropColumn { table, column, .. } => {
                out.push(("table", table));
                out.push(("column", column));
            }
            Operation::Batch { table, ops } => {
                out.push(("table", table));
                for op in ops {
                    op.collect_names(out);
                }
            }
            Operation::AlterColumn(a) => {
                out.push(("table", &a.table));
                out.push(("column", &a.column));
                out.extend(a.new_name.as_deref().map(|n| ("column", n)));
            }
            Operation::CreateIndex(i) => {
                out.push(("index", &i.name));
                out.push(("table", &i.table));
                columns(&i.columns, out);
            }
            Operation::DropIndex { name, table, .. } => {
                out.push(("index", name));
                out.push(("table", table));
            }
            Operation::CreateUnique {
                name,
                table,
                columns: cs,
            }
            | Operation::CreatePrimaryKey {
                name,
                table,
                columns: cs,
            } => {
                out.push(("constraint", name));
                out.push(("table", table));
                columns(cs, out);
            }
            Operation::CreateForeignKey { table, fk } => {
                out.push(("table", table));
                out.extend(fk.name.as_deref().map(|n| ("constraint", n)));
                columns(&fk.columns, out);
                out.push(("table", &fk.ref_table));
                columns(&fk.ref_columns, out);
            }
            Operation::CreateCheck { name, table, .. }
            | Operation::DropConstraint { name, table, .. } => {
                out.push(("constraint", name));
                out.push(("table", table));
            }
            Operation::BulkInsert {
                table, columns: cs, ..
            } => {
                out.push(("table", table));
                columns(cs, out);
            }
            Operation::Execute(_) | Operation::Run { .. } => {}
        }
    }
}
