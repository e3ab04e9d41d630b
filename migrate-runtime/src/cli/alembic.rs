//! `migrate import alembic PATH`: an Alembic project's revision files as our
//! migration files, with the same revision ids, parents, messages and dates,
//! so that a database Alembic managed goes on with `upgrade head` (the ledger
//! adopts what its `alembic_version` says).
//!
//! Each file is read with a Python parser (rustpython-parser), never with
//! patterns. The `op.*` calls Alembic writes are translated into typed
//! operations; what cannot be (Python code, loops over `op.get_bind()`,
//! dialect branches, types and options with no typed form) becomes a
//! `compile_error!` that names the revision, with the Python quoted above it:
//! the crate does not build until a person writes that step.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::autogen::code::{comment, list, lit};
use rustpython_parser::ast::{self, Constant, Expr, Ranged, Stmt};
use rustpython_parser::Parse;

use crate::error::{Error, Result};

/// One Alembic revision file, translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Imported {
    /// `revision`.
    pub revision: String,
    /// `down_revision`: the first parent of a merge.
    pub down_revision: Option<String>,
    /// Every parent when `down_revision` is a tuple (a merge revision).
    pub merge_of: Vec<String>,
    /// The docstring's first line.
    pub message: String,
    /// The docstring's `Create Date`.
    pub create_date: Option<String>,
    /// The body of `fn upgrade`, one statement per line, indented.
    pub upgrade: String,
    /// The body of `fn downgrade`.
    pub downgrade: String,
    /// How many steps are left for a person (each a `compile_error!`).
    pub todos: Vec<String>,
}

/// Translates the revision file `path` with text `source`.
pub(crate) fn translate(source: &str, path: &str) -> Result<Imported> {
    // Editors on some systems begin a file with a byte order mark.
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let suite = ast::Suite::parse(source, path)
        .map_err(|e| Error::Usage(format!("{path} is not Python that can be read: {e}")))?;
    let mut revision = None;
    let mut down: Option<Vec<String>> = None;
    let mut doc = String::new();
    let mut functions: HashMap<String, &[Stmt]> = HashMap::new();
    for (i, s) in suite.iter().enumerate() {
        match s {
            Stmt::Expr(e) if i == 0 => {
                if let Some(t) = string(&e.value) {
                    doc = t;
                }
            }
            Stmt::Assign(a) => {
                for t in &a.targets {
                    assign(t, &a.value, &mut revision, &mut down);
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    assign(&a.target, v, &mut revision, &mut down);
                }
            }
            Stmt::FunctionDef(f) => {
                functions.insert(f.name.to_string(), &f.body);
            }
            _ => {}
        }
    }
    let revision = revision.ok_or_else(|| {
        Error::Usage(format!(
            "{path} has no `revision = '...'`: not an Alembic revision file"
        ))
    })?;
    migrate_core::validate_revision_id(&revision)
        .map_err(|e| Error::Usage(format!("{path}: revision {revision:?} cannot be kept: {e}")))?;
    let parents = down.unwrap_or_default();
    for p in &parents {
        migrate_core::validate_revision_id(p).map_err(|e| {
            Error::Usage(format!("{path}: down_revision {p:?} cannot be kept: {e}"))
        })?;
    }
    let message = doc
        .lines()
        .next()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(comment)
        .unwrap_or_else(|| "imported from Alembic".to_owned());
    let create_date = doc
        .lines()
        .find_map(|l| l.trim().strip_prefix("Create Date:"))
        .map(|d| comment(d.trim()))
        .filter(|d| !d.is_empty());
    let mut todos = Vec::new();
    let mut body = |name: &str| -> String {
        let mut t = Translator {
            src: source,
            revision: &revision,
            function: name,
            tables: HashMap::new(),
            todos: Vec::new(),
        };
        let out = match functions.get(name) {
            Some(stmts) => t.block(stmts, "op", None, 1),
            None => t.todo_text(&format!("{path} has no def {name}()"), "", 1),
        };
        todos.append(&mut t.todos);
        if out.is_empty() {
            // `pass`: nothing to do, and `op` used so that it builds quietly.
            "    let _ = op;\n".to_owned()
        } else {
            out
        }
    };
    let upgrade = body("upgrade");
    let downgrade = body("downgrade");
    let mut merge_of = Vec::new();
    let mut upgrade = upgrade;
    if parents.len() > 1 {
        merge_of = parents.clone();
        // Our chain is one line: a merge has no place in it as it is.
        let why = format!(
            "revision {revision} merges {}; this chain is one line of revisions: give it one parent (the revision before it once the branches are in one line) and remove this line",
            parents.join(", ")
        );
        todos.push(why.clone());
        upgrade = format!("    compile_error!({});\n{upgrade}", lit(&why));
    }
    Ok(Imported {
        down_revision: parents.first().cloned(),
        revision,
        merge_of,
        message,
        create_date,
        upgrade,
        downgrade,
        todos,
    })
}

/// `revision = ...` and `down_revision = ...`, typed or not.
fn assign(
    target: &Expr,
    value: &Expr,
    revision: &mut Option<String>,
    down: &mut Option<Vec<String>>,
) {
    let Expr::Name(n) = target else { return };
    match n.id.as_str() {
        "revision" => *revision = string(value),
        "down_revision" => {
            *down = Some(match value {
                Expr::Tuple(t) => t.elts.iter().filter_map(string).collect(),
                Expr::List(l) => l.elts.iter().filter_map(string).collect(),
                v => string(v).into_iter().collect(),
            })
        }
        _ => {}
    }
}

/// A string literal, or a name in `op.f("...")`.
fn string(e: &Expr) -> Option<String> {
    match e {
        Expr::Constant(c) => match &c.value {
            Constant::Str(s) => Some(s.clone()),
            _ => None,
        },
        Expr::Call(c) if c.args.len() == 1 && last_name(&c.func) == Some("f") => string(&c.args[0]),
        _ => None,
    }
}

/// SQL as a string literal or `sa.text("...")`: never a name (an index over
/// `sa.text("name DESC")` is an expression, not a column).
fn sql_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Call(c) if c.args.len() == 1 && last_name(&c.func) == Some("text") => {
            sql_text(&c.args[0])
        }
        Expr::Constant(_) => string(e),
        _ => None,
    }
}

/// A list or tuple of strings.
fn strings(e: &Expr) -> Option<Vec<String>> {
    let elts = match e {
        Expr::List(l) => &l.elts,
        Expr::Tuple(t) => &t.elts,
        _ => return None,
    };
    elts.iter().map(string).collect()
}

fn boolean(e: &Expr) -> Option<bool> {
    match e {
        Expr::Constant(c) => match c.value {
            Constant::Bool(b) => Some(b),
            _ => None,
        },
        _ => None,
    }
}

fn is_none(e: &Expr) -> bool {
    matches!(e, Expr::Constant(c) if matches!(c.value, Constant::None))
}

/// `sa.Integer` is `Integer`, `postgresql.JSONB()` is `JSONB`, `op.f` is `f`.
fn last_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.as_str()),
        Expr::Call(c) => last_name(&c.func),
        _ => None,
    }
}

/// `op.create_table` is (`op`, `create_table`).
fn method(e: &Expr) -> Option<(&str, &str)> {
    match e {
        Expr::Attribute(a) => match a.value.as_ref() {
            Expr::Name(n) => Some((n.id.as_str(), a.attr.as_str())),
            _ => None,
        },
        _ => None,
    }
}

/// A call's keyword argument.
fn kw<'e>(call: &'e ast::ExprCall, name: &str) -> Option<&'e Expr> {
    call.keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
        .map(|k| &k.value)
}

/// The positional argument `i`, or the keyword `name`.
fn arg<'e>(call: &'e ast::ExprCall, i: usize, name: &str) -> Option<&'e Expr> {
    call.args.get(i).or_else(|| kw(call, name))
}

/// Every keyword is one of `known`; otherwise why not.
fn only_keywords(call: &ast::ExprCall, known: &[&str]) -> std::result::Result<(), String> {
    for k in &call.keywords {
        match &k.arg {
            Some(a) if known.contains(&a.as_str()) => {}
            Some(a) => return Err(format!("the argument {a}= has no translation")),
            None => return Err("**kwargs cannot be read".into()),
        }
    }
    Ok(())
}

/// `ondelete="CASCADE"` as an action.
fn action(e: &Expr) -> std::result::Result<&'static str, String> {
    let s = string(e).ok_or("an action that is not a string")?;
    Ok(match s.to_ascii_uppercase().as_str() {
        "CASCADE" => "Action::Cascade",
        "SET NULL" => "Action::SetNull",
        "SET DEFAULT" => "Action::SetDefault",
        "RESTRICT" => "Action::Restrict",
        "NO ACTION" => "Action::NoAction",
        other => return Err(format!("the action {other} has no translation")),
    })
}

fn actions(call: &ast::ExprCall) -> std::result::Result<String, String> {
    let mut s = String::new();
    if let Some(a) = kw(call, "ondelete") {
        let _ = write!(s, ".on_delete({})", action(a)?);
    }
    if let Some(a) = kw(call, "onupdate") {
        let _ = write!(s, ".on_update({})", action(a)?);
    }
    Ok(s)
}

/// A SQLAlchemy type as our column type: (type, `.length(n)` or
/// `.precision(p, s)`), for `col::<T>`.
fn sa_type(e: &Expr) -> std::result::Result<(String, String), String> {
    let name = last_name(e).ok_or("a type that is not a name")?;
    let call = match e {
        Expr::Call(c) => Some(c),
        _ => None,
    };
    let int_arg = |i: usize, k: &str| -> Option<u64> {
        let c = call?;
        match arg(c, i, k)? {
            Expr::Constant(ast::ExprConstant {
                value: Constant::Int(n),
                ..
            }) => n.to_string().parse().ok(),
            _ => None,
        }
    };
    // The arguments each type may have: any other changes the DDL in a way
    // the typed column cannot say (a collation, fractional seconds, unsigned),
    // so it is a step for a person. The client-side ones change no DDL.
    let (positional, keywords): (usize, &[&str]) = match name {
        "String" | "Unicode" | "VARCHAR" | "NVARCHAR" => (1, &["length"]),
        "Numeric" | "NUMERIC" | "DECIMAL" => (2, &["precision", "scale", "asdecimal"]),
        "DateTime" | "DATETIME" | "TIMESTAMP" => (0, &["timezone"]),
        "Float" | "FLOAT" | "Double" | "DOUBLE" | "DOUBLE_PRECISION" | "REAL" => {
            (0, &["asdecimal"])
        }
        "JSON" | "JSONB" => (0, &["none_as_null", "astext_type"]),
        "Uuid" | "UUID" => (0, &["as_uuid", "native_uuid"]),
        "Boolean" | "BOOLEAN" => (0, &["create_constraint"]),
        _ => (0, &[]),
    };
    if let Some(c) = call {
        if c.args.len() > positional {
            return Err(format!(
                "{name}(...) with arguments that have no typed form"
            ));
        }
        only_keywords(c, keywords)?;
        // A length or precision that is not a literal number.
        for (i, k) in [(0, "length"), (0, "precision"), (1, "scale")] {
            if keywords.contains(&k) && arg(c, i, k).is_some() && int_arg(i, k).is_none() {
                return Err(format!(
                    "{name}(...) with a {k} that is not a literal number"
                ));
            }
        }
        if name.eq_ignore_ascii_case("Boolean")
            && kw(c, "create_constraint").and_then(boolean) == Some(true)
        {
            return Err("Boolean(create_constraint=True) adds a check constraint".into());
        }
    }
    let timezone = match call.and_then(|c| kw(c, "timezone")) {
        None => false,
        Some(t) => boolean(t).ok_or("timezone= that is not True or False")?,
    };
    let plain = |t: &str| Ok((t.to_owned(), String::new()));
    match name {
        "Integer" | "INTEGER" | "INT" => plain("Integer"),
        "BigInteger" | "BIGINT" => plain("BigInt"),
        "SmallInteger" | "SMALLINT" => plain("SmallInt"),
        "String" | "Unicode" | "VARCHAR" | "NVARCHAR" => match int_arg(0, "length") {
            Some(n) => Ok(("Varchar".into(), format!(".length({n})"))),
            None => plain("Text"),
        },
        "Text" | "UnicodeText" | "TEXT" => plain("Text"),
        "Boolean" | "BOOLEAN" => plain("Bool"),
        "DateTime" | "DATETIME" | "TIMESTAMP" if timezone => plain("Timestamptz"),
        "DateTime" | "DATETIME" | "TIMESTAMP" => plain("Timestamp"),
        "Date" | "DATE" => plain("Date"),
        "Time" | "TIME" => plain("Time"),
        "Float" | "FLOAT" | "Double" | "DOUBLE" | "DOUBLE_PRECISION" => plain("Double"),
        "REAL" => plain("Float"),
        "Numeric" | "NUMERIC" | "DECIMAL" => match (int_arg(0, "precision"), int_arg(1, "scale")) {
            (Some(p), s) => Ok((
                "Numeric".into(),
                format!(".precision({p}, {})", s.unwrap_or(0)),
            )),
            (None, _) => plain("Numeric"),
        },
        "LargeBinary" | "BLOB" | "BYTEA" => plain("Binary"),
        "JSON" => plain("Json"),
        "JSONB" => plain("Jsonb"),
        "Uuid" | "UUID" => plain("Uuid"),
        other => Err(format!("the type {other} has no typed column")),
    }
}

/// A `server_default=`: a string is a literal (quoted, as SQLAlchemy
/// renders it), `sa.text(...)` is SQL as written.
fn server_default(e: &Expr) -> std::result::Result<String, String> {
    match e {
        Expr::Constant(_) => {
            let s = string(e).ok_or("a server_default that is not a string")?;
            Ok(format!("'{}'", s.replace('\'', "''")))
        }
        Expr::Call(c) if last_name(&c.func) == Some("text") => {
            sql_text(e).ok_or_else(|| "a sa.text(...) that is not a literal".into())
        }
        _ => Err("a server_default that is not a string or sa.text(...)".into()),
    }
}

/// A `sa.Column(...)`, read: rendered as `col::<T>(...)` by [`ColumnCode::code`]
/// once the table says whether it is (all of) the primary key.
struct ColumnCode {
    name: String,
    /// The type without `Nullable`, and its `.length(n)` / `.precision(p, s)`.
    ty: String,
    modifier: String,
    /// `nullable=` when given; SQLAlchemy's default is `not primary_key`.
    nullable: Option<bool>,
    /// `primary_key=True`.
    primary_key: bool,
    unique: bool,
    server_default: Option<String>,
    /// `autoincrement=` when given as True or False.
    autoincrement: Option<bool>,
    /// (table, column, actions, name) of each `sa.ForeignKey(...)`.
    foreign_keys: Vec<(String, String, String, Option<String>)>,
    index: bool,
}

impl ColumnCode {
    /// `col::<T>(...)`: `in_key` when the column is part of the primary key
    /// (not NULL unless said so), `single_key` when it is the whole key and
    /// written on the column, `auto` when the database generates it.
    fn code(&self, in_key: bool, single_key: bool, auto: bool) -> String {
        let nullable = self.nullable.unwrap_or(!in_key);
        let ty = if nullable && !single_key {
            format!("Nullable<{}>", self.ty)
        } else {
            self.ty.clone()
        };
        let mut code = format!("col::<{ty}>({}){}", lit(&self.name), self.modifier);
        if single_key {
            code.push_str(".primary_key()");
            if nullable {
                code.push_str(".nullable()");
            }
        }
        if auto {
            code.push_str(".autoincrement()");
        }
        // `unique=True, index=True` is one unique index (made by the table).
        if self.unique && !self.index {
            code.push_str(".unique()");
        }
        if let Some(d) = &self.server_default {
            let _ = write!(code, ".server_default({})", lit(d));
        }
        code
    }

    /// SQLAlchemy's `autoincrement="auto"`: the one integer column of the
    /// primary key, with no foreign key and no server default, unless
    /// `autoincrement=False`; `autoincrement=True` on an integer key column
    /// whatever else.
    fn generated(&self) -> bool {
        let integer = matches!(self.ty.as_str(), "Integer" | "BigInt" | "SmallInt");
        match self.autoincrement {
            Some(a) => a && integer,
            None => integer && self.foreign_keys.is_empty() && self.server_default.is_none(),
        }
    }
}

fn column(e: &Expr) -> std::result::Result<ColumnCode, String> {
    let Expr::Call(call) = e else {
        return Err("a column that is not sa.Column(...)".into());
    };
    if last_name(&call.func) != Some("Column") {
        return Err("a column that is not sa.Column(...)".into());
    }
    only_keywords(
        call,
        &[
            "nullable",
            "primary_key",
            "server_default",
            "autoincrement",
            "unique",
            "index",
            "default",
            "onupdate",
            "name",
            "type_",
        ],
    )?;
    let name = arg(call, 0, "name")
        .and_then(string)
        .ok_or("a column without a literal name")?;
    let mut ty = None;
    let mut foreign_keys = Vec::new();
    for a in call.args.iter().skip(1) {
        match last_name(a) {
            Some("ForeignKey") => {
                let Expr::Call(fk) = a else {
                    return Err("a ForeignKey that cannot be read".into());
                };
                only_keywords(fk, &["ondelete", "onupdate", "name"])?;
                let target = fk
                    .args
                    .first()
                    .and_then(string)
                    .ok_or("a ForeignKey to a computed column")?;
                let (t, c) = target
                    .rsplit_once('.')
                    .ok_or_else(|| format!("a ForeignKey to {target:?}, not \"table.column\""))?;
                let fk_name = match kw(fk, "name") {
                    Some(n) => Some(string(n).ok_or("a ForeignKey name that is not a literal")?),
                    None => None,
                };
                foreign_keys.push((t.to_owned(), c.to_owned(), actions(fk)?, fk_name));
            }
            Some("Identity" | "Computed" | "Sequence") => {
                return Err(format!("{} has no typed form", last_name(a).unwrap_or("")))
            }
            _ if ty.is_none() => ty = Some(sa_type(a)?),
            _ => return Err("a column argument that cannot be read".into()),
        }
    }
    if let Some(t) = kw(call, "type_") {
        ty = Some(sa_type(t)?);
    }
    let (ty, modifier) = ty.ok_or("a column without a type")?;
    let flag = |k: &str| -> std::result::Result<Option<bool>, String> {
        match kw(call, k) {
            None => Ok(None),
            Some(v) => boolean(v)
                .map(Some)
                .ok_or_else(|| format!("{k}= that is not True or False")),
        }
    };
    let autoincrement = match kw(call, "autoincrement") {
        Some(v) if string(v).as_deref() == Some("auto") => None,
        _ => flag("autoincrement")?,
    };
    let server_default = match kw(call, "server_default") {
        Some(d) if !is_none(d) => Some(server_default(d)?),
        _ => None,
    };
    Ok(ColumnCode {
        name,
        ty,
        modifier,
        nullable: flag("nullable")?,
        primary_key: flag("primary_key")?.unwrap_or(false),
        unique: flag("unique")? == Some(true),
        server_default,
        autoincrement,
        foreign_keys,
        index: flag("index")? == Some(true),
    })
}

/// A `sa.table("t", sa.column("a"), ...)` bound to a name, for `bulk_insert`.
#[derive(Clone)]
struct TableDef {
    name: String,
    columns: Vec<String>,
}

fn table_def(e: &Expr) -> Option<TableDef> {
    let Expr::Call(c) = e else { return None };
    if !matches!(last_name(&c.func), Some("table" | "Table")) {
        return None;
    }
    let name = c.args.first().and_then(string)?;
    let mut columns = Vec::new();
    for a in c.args.iter().skip(1) {
        match a {
            Expr::Call(col) if matches!(last_name(&col.func), Some("column" | "Column")) => {
                columns.push(col.args.first().and_then(string)?);
            }
            // `sa.Table("t", metadata, ...)`: the metadata.
            Expr::Name(_) | Expr::Call(_) => {}
            _ => return None,
        }
    }
    Some(TableDef { name, columns })
}

/// A Python literal as a value of `row![...]`.
fn value(e: &Expr) -> Option<String> {
    Some(match e {
        Expr::Constant(c) => match &c.value {
            Constant::None => "Value::Null".into(),
            Constant::Bool(b) => b.to_string(),
            Constant::Str(s) => lit(s),
            Constant::Int(n) => format!("{}i64", n.to_string().parse::<i64>().ok()?),
            Constant::Float(f) if f.is_finite() => format!("{f:?}f64"),
            _ => return None,
        },
        Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOp::USub) => {
            format!("-{}", value(&u.operand)?)
        }
        _ => return None,
    })
}

/// Names a Python variable may have that Rust reserves.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

struct Translator<'a> {
    src: &'a str,
    revision: &'a str,
    function: &'a str,
    tables: HashMap<String, TableDef>,
    todos: Vec<String>,
}

impl Translator<'_> {
    /// Statements of a function or a `with` body, as lines at `depth`.
    /// Statements in a row that cannot be translated are one step to write
    /// by hand (a data migration is usually several lines of Python).
    fn block(&mut self, stmts: &[Stmt], op: &str, batch: Option<&str>, depth: usize) -> String {
        let mut out = String::new();
        let mut pending: Vec<(&Stmt, String)> = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            let done: std::result::Result<String, String> = match s {
                Stmt::Pass(_) => Ok(String::new()),
                // A docstring, or a bare string used as a comment.
                Stmt::Expr(e) if string(&e.value).is_some() && i == 0 => Ok(String::new()),
                Stmt::Expr(e) => self.call(&e.value, op, batch).map(|lines| {
                    lines
                        .iter()
                        .map(|l| format!("{}{l}\n", "    ".repeat(depth)))
                        .collect()
                }),
                Stmt::Assign(a) if a.targets.len() == 1 => {
                    match (&a.targets[0], table_def(&a.value)) {
                        (Expr::Name(n), Some(t)) => {
                            self.tables.insert(n.id.to_string(), t);
                            Ok(String::new())
                        }
                        _ => Err("Python code".into()),
                    }
                }
                Stmt::With(w) => self.batch_with(w, op, depth),
                Stmt::If(_) => Err("a branch (per dialect?)".into()),
                Stmt::For(_) | Stmt::While(_) => Err("a loop".into()),
                _ => Err("Python code".into()),
            };
            match done {
                Ok(code) => {
                    out.push_str(&self.todo(&pending, depth));
                    pending.clear();
                    out.push_str(&code);
                }
                Err(why) => pending.push((s, why)),
            }
        }
        out.push_str(&self.todo(&pending, depth));
        out
    }

    /// `with op.batch_alter_table("t") as batch_op:` as `op.batch_alter_table("t", |batch_op| { ... });`.
    fn batch_with(
        &mut self,
        w: &ast::StmtWith,
        op: &str,
        depth: usize,
    ) -> std::result::Result<String, String> {
        let [item] = &w.items[..] else {
            return Err("a with of several items".into());
        };
        let Expr::Call(c) = &item.context_expr else {
            return Err("a with that is not op.batch_alter_table(...)".into());
        };
        if method(&c.func) != Some((op, "batch_alter_table")) {
            return Err("a with that is not op.batch_alter_table(...)".into());
        }
        only_keywords(
            c,
            &[
                "table_name",
                "recreate",
                "schema",
                "table_args",
                "table_kwargs",
                "reflect_args",
                "reflect_kwargs",
                "naming_convention",
                "partial_reordering",
                "copy_from",
            ],
        )
        .and_then(|()| match kw(c, "schema") {
            Some(_) => Err("a batch in another schema".into()),
            None => Ok(()),
        })?;
        let table = arg(c, 0, "table_name")
            .and_then(string)
            .ok_or("a batch on a computed table name")?;
        let var = match item.optional_vars.as_deref() {
            Some(Expr::Name(n)) if !RUST_KEYWORDS.contains(&n.id.as_str()) => n.id.to_string(),
            Some(Expr::Name(n)) => return Err(format!("a batch named {}, a Rust keyword", n.id)),
            _ => return Err("a batch without `as name`".into()),
        };
        let pad = "    ".repeat(depth);
        let inner = self.block(&w.body, op, Some(&var), depth + 1);
        Ok(format!(
            "{pad}{op}.batch_alter_table({}, |{var}| {{\n{inner}{pad}}});\n",
            lit(&table)
        ))
    }

    /// Statements left for a person: the Python quoted, and one
    /// `compile_error!` that names the step. Nothing when there are none.
    fn todo(&mut self, stmts: &[(&Stmt, String)], depth: usize) -> String {
        let (Some((first, _)), Some((last, _))) = (stmts.first(), stmts.last()) else {
            return String::new();
        };
        let from = usize::from(first.range().start());
        let python = self
            .src
            .get(from..usize::from(last.range().end()))
            .unwrap_or("");
        // The lines after the first keep the function's indentation: drop it.
        let indent = self
            .src
            .get(..from)
            .map_or(0, |b| b.len() - b.rfind('\n').map_or(0, |i| i + 1));
        let python: String = python
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let l = match l.get(..indent) {
                    Some(p) if i > 0 && p.trim().is_empty() => &l[indent..],
                    _ => l,
                };
                format!("{l}\n")
            })
            .collect();
        let mut why: Vec<&str> = Vec::new();
        for (_, w) in stmts {
            if !why.contains(&w.as_str()) {
                why.push(w);
            }
        }
        self.todo_text(&why.join(", "), &python, depth)
    }

    fn todo_text(&mut self, why: &str, python: &str, depth: usize) -> String {
        let pad = "    ".repeat(depth);
        let what = format!(
            "migrate import: revision {} ({}): {why}; translate the Python above by hand",
            self.revision, self.function
        );
        self.todos.push(what.clone());
        let why = comment(why);
        let mut out = format!("{pad}// TODO(migrate import): {why}. The Python it replaces:\n");
        for l in python.lines() {
            let _ = writeln!(out, "{pad}//     {l}");
        }
        let _ = writeln!(out, "{pad}compile_error!({});", lit(&what));
        out
    }

    /// One `op.*(...)` (or `batch_op.*(...)`) call as statements.
    fn call(
        &mut self,
        e: &Expr,
        op: &str,
        batch: Option<&str>,
    ) -> std::result::Result<Vec<String>, String> {
        let Expr::Call(c) = e else {
            return Err("an expression that is not an op call".into());
        };
        let Some((recv, name)) = method(&c.func) else {
            return Err("a call that is not op.<operation>(...)".into());
        };
        if let Some(b) = batch {
            if recv == b {
                return self.batch_call(c, b, name);
            }
            if recv == op {
                // Alembic runs the batch when the `with` ends, after this call.
                return Err(format!("op.{name} inside a batch block"));
            }
        }
        if recv != op {
            return Err(format!("{recv}.{name}(...) is not an Alembic operation"));
        }
        let s = |i: usize, k: &str| arg(c, i, k).and_then(string);
        let need = |v: Option<String>, what: &str| {
            v.ok_or(format!("{name} with a {what} that is not a literal"))
        };
        Ok(match name {
            "create_table" => return self.create_table(c),
            "drop_table" => {
                only_keywords(c, &["table_name"])?;
                vec![format!(
                    "op.drop_table({});",
                    lit(&need(s(0, "table_name"), "table name")?)
                )]
            }
            "rename_table" => {
                only_keywords(c, &["old_table_name", "new_table_name"])?;
                vec![format!(
                    "op.rename_table({}, {});",
                    lit(&need(s(0, "old_table_name"), "table name")?),
                    lit(&need(s(1, "new_table_name"), "table name")?)
                )]
            }
            "add_column" => {
                only_keywords(c, &["table_name", "column"])?;
                let t = need(s(0, "table_name"), "table name")?;
                let col = column(arg(c, 1, "column").ok_or("add_column without a column")?)?;
                vec![format!(
                    "op.add_column({}, {});",
                    lit(&t),
                    add_column_code(&col)?
                )]
            }
            "drop_column" => {
                only_keywords(c, &["table_name", "column_name"])?;
                vec![format!(
                    "op.drop_column({}, {});",
                    lit(&need(s(0, "table_name"), "table name")?),
                    lit(&need(s(1, "column_name"), "column name")?)
                )]
            }
            "alter_column" => {
                let t = need(s(0, "table_name"), "table name")?;
                let col = need(s(1, "column_name"), "column name")?;
                vec![format!(
                    "op.alter_column({}, {}){};",
                    lit(&t),
                    lit(&col),
                    alter_code(c)?
                )]
            }
            "create_index" => {
                only_keywords(
                    c,
                    &[
                        "index_name",
                        "table_name",
                        "columns",
                        "unique",
                        "postgresql_where",
                        "sqlite_where",
                        "if_not_exists",
                        "postgresql_concurrently",
                    ],
                )?;
                let n = need(s(0, "index_name"), "index name")?;
                let t = need(s(1, "table_name"), "table name")?;
                let cols = arg(c, 2, "columns")
                    .and_then(strings)
                    .ok_or("an index over expressions")?;
                vec![format!(
                    "op.create_index({}, {}, {}){};",
                    lit(&n),
                    lit(&t),
                    list(&cols),
                    index_code(c)?
                )]
            }
            "drop_index" => {
                only_keywords(
                    c,
                    &[
                        "index_name",
                        "table_name",
                        "if_exists",
                        "postgresql_concurrently",
                    ],
                )?;
                let n = need(s(0, "index_name"), "index name")?;
                let t = s(1, "table_name")
                    .ok_or("drop_index without table_name= (it is needed on MySQL)")?;
                if kw(c, "postgresql_concurrently").and_then(boolean) == Some(true) {
                    return Err("DROP INDEX CONCURRENTLY has no typed form".into());
                }
                let call = if kw(c, "if_exists").and_then(boolean) == Some(true) {
                    "drop_index_if_exists"
                } else {
                    "drop_index"
                };
                vec![format!("op.{call}({}, {});", lit(&n), lit(&t))]
            }
            "create_unique_constraint" => {
                only_keywords(c, &["constraint_name", "table_name", "columns"])?;
                vec![format!(
                    "op.create_unique_constraint({}, {}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    lit(&need(s(1, "table_name"), "table name")?),
                    list(
                        &arg(c, 2, "columns")
                            .and_then(strings)
                            .ok_or("a unique constraint over expressions")?
                    )
                )]
            }
            "create_foreign_key" => {
                only_keywords(
                    c,
                    &[
                        "constraint_name",
                        "source_table",
                        "referent_table",
                        "local_cols",
                        "remote_cols",
                        "ondelete",
                        "onupdate",
                    ],
                )?;
                vec![format!(
                    "op.create_foreign_key({}, {}, {}, {}, {}){};",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    lit(&need(s(1, "source_table"), "table name")?),
                    lit(&need(s(2, "referent_table"), "table name")?),
                    list(
                        &arg(c, 3, "local_cols")
                            .and_then(strings)
                            .ok_or("computed columns")?
                    ),
                    list(
                        &arg(c, 4, "remote_cols")
                            .and_then(strings)
                            .ok_or("computed columns")?
                    ),
                    actions(c)?
                )]
            }
            "create_check_constraint" => {
                only_keywords(c, &["constraint_name", "table_name", "condition"])?;
                vec![format!(
                    "op.create_check_constraint({}, {}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    lit(&need(s(1, "table_name"), "table name")?),
                    lit(&need(
                        arg(c, 2, "condition").and_then(sql_text),
                        "condition (SQLAlchemy expression?)"
                    )?)
                )]
            }
            "create_primary_key" => {
                only_keywords(c, &["constraint_name", "table_name", "columns"])?;
                vec![format!(
                    "op.create_primary_key({}, {}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    lit(&need(s(1, "table_name"), "table name")?),
                    list(
                        &arg(c, 2, "columns")
                            .and_then(strings)
                            .ok_or("computed columns")?
                    )
                )]
            }
            "drop_constraint" => {
                only_keywords(c, &["constraint_name", "table_name", "type_"])?;
                vec![format!(
                    "op.drop_constraint({}, {}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    lit(&need(s(1, "table_name"), "table name")?),
                    constraint_kind(arg(c, 2, "type_"))?
                )]
            }
            "execute" => {
                only_keywords(c, &["sqltext"])?;
                let sql = arg(c, 0, "sqltext")
                    .and_then(sql_text)
                    .ok_or("execute of a statement built in Python")?;
                vec![format!("op.execute({});", lit(&sql))]
            }
            "bulk_insert" => {
                only_keywords(c, &["table", "rows", "multiinsert"])?;
                let table = match arg(c, 0, "table") {
                    Some(Expr::Name(n)) => self.tables.get(n.id.as_str()).cloned(),
                    Some(e) => table_def(e),
                    None => None,
                }
                .ok_or(
                    "bulk_insert into a table not defined with sa.table(...) in this function",
                )?;
                bulk_insert_code(&table, arg(c, 1, "rows"))?
            }
            other => return Err(format!("op.{other} has no translation")),
        })
    }

    /// One `batch_op.*(...)` call.
    fn batch_call(
        &mut self,
        c: &ast::ExprCall,
        b: &str,
        name: &str,
    ) -> std::result::Result<Vec<String>, String> {
        let s = |i: usize, k: &str| arg(c, i, k).and_then(string);
        let need = |v: Option<String>, what: &str| {
            v.ok_or(format!("{name} with a {what} that is not a literal"))
        };
        Ok(vec![match name {
            "add_column" => {
                only_keywords(c, &["column", "insert_before", "insert_after"])?;
                let col = column(arg(c, 0, "column").ok_or("add_column without a column")?)?;
                format!("{b}.add_column({});", add_column_code(&col)?)
            }
            "drop_column" => {
                only_keywords(c, &["column_name"])?;
                format!(
                    "{b}.drop_column({});",
                    lit(&need(s(0, "column_name"), "column name")?)
                )
            }
            "alter_column" => {
                let col = need(s(0, "column_name"), "column name")?;
                format!("{b}.alter_column({}){};", lit(&col), alter_code(c)?)
            }
            "create_index" => {
                only_keywords(
                    c,
                    &[
                        "index_name",
                        "columns",
                        "unique",
                        "postgresql_where",
                        "sqlite_where",
                    ],
                )?;
                let n = need(s(0, "index_name"), "index name")?;
                let cols = arg(c, 1, "columns")
                    .and_then(strings)
                    .ok_or("an index over expressions")?;
                format!(
                    "{b}.create_index({}, {}){};",
                    lit(&n),
                    list(&cols),
                    index_code(c)?
                )
            }
            "drop_index" => {
                only_keywords(c, &["index_name"])?;
                format!(
                    "{b}.drop_index({});",
                    lit(&need(s(0, "index_name"), "index name")?)
                )
            }
            "create_unique_constraint" => {
                only_keywords(c, &["constraint_name", "columns"])?;
                format!(
                    "{b}.create_unique_constraint({}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    list(
                        &arg(c, 1, "columns")
                            .and_then(strings)
                            .ok_or("computed columns")?
                    )
                )
            }
            "create_foreign_key" => {
                only_keywords(
                    c,
                    &[
                        "constraint_name",
                        "referent_table",
                        "local_cols",
                        "remote_cols",
                        "ondelete",
                        "onupdate",
                    ],
                )?;
                format!(
                    "{b}.create_foreign_key({}, {}, {}, {}){};",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    lit(&need(s(1, "referent_table"), "table name")?),
                    list(
                        &arg(c, 2, "local_cols")
                            .and_then(strings)
                            .ok_or("computed columns")?
                    ),
                    list(
                        &arg(c, 3, "remote_cols")
                            .and_then(strings)
                            .ok_or("computed columns")?
                    ),
                    actions(c)?
                )
            }
            "create_check_constraint" => {
                only_keywords(c, &["constraint_name", "condition"])?;
                format!(
                    "{b}.create_check_constraint({}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    lit(&need(
                        arg(c, 1, "condition").and_then(sql_text),
                        "condition"
                    )?)
                )
            }
            "create_primary_key" => {
                only_keywords(c, &["constraint_name", "columns"])?;
                format!(
                    "{b}.create_primary_key({}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    list(
                        &arg(c, 1, "columns")
                            .and_then(strings)
                            .ok_or("computed columns")?
                    )
                )
            }
            "drop_constraint" => {
                only_keywords(c, &["constraint_name", "type_"])?;
                format!(
                    "{b}.drop_constraint({}, {});",
                    lit(&need(s(0, "constraint_name"), "constraint name")?),
                    constraint_kind(arg(c, 1, "type_"))?
                )
            }
            "execute" => {
                let sql = arg(c, 0, "sqltext")
                    .and_then(sql_text)
                    .ok_or("execute of a statement built in Python")?;
                format!("{b}.execute({});", lit(&sql))
            }
            other => return Err(format!("{b}.{other} has no translation")),
        }])
    }

    /// `op.create_table(...)`, and the indexes its columns ask for.
    fn create_table(&mut self, c: &ast::ExprCall) -> std::result::Result<Vec<String>, String> {
        let table = arg(c, 0, "table_name")
            .and_then(string)
            .ok_or("create_table with a computed name")?;
        for k in &c.keywords {
            match k.arg.as_ref().map(|a| a.as_str()) {
                Some("sqlite_autoincrement" | "info") => {}
                // InnoDB is what our tables get; anything else is a step.
                Some("mysql_engine" | "mariadb_engine")
                    if string(&k.value).is_some_and(|e| e.eq_ignore_ascii_case("InnoDB")) => {}
                Some(a) => return Err(format!("the argument {a}= has no translation")),
                None => return Err("**kwargs cannot be read".into()),
            }
        }
        let mut columns = Vec::new();
        let mut tail = Vec::new();
        let mut after = Vec::new();
        // The columns of an unnamed `PrimaryKeyConstraint`.
        let mut pk_constraint: Option<Vec<String>> = None;
        for a in c.args.iter().skip(1) {
            let Expr::Call(item) = a else {
                return Err("a create_table item that cannot be read".into());
            };
            match last_name(&item.func) {
                Some("Column") => columns.push(column(a)?),
                Some("PrimaryKeyConstraint") => {
                    only_keywords(item, &["name"])?;
                    let cols: Vec<String> = item
                        .args
                        .iter()
                        .map(string)
                        .collect::<Option<_>>()
                        .ok_or("a primary key over computed columns")?;
                    match kw(item, "name").and_then(string) {
                        Some(n) => after.push(format!(
                            "op.create_primary_key({}, {}, {});",
                            lit(&n),
                            lit(&table),
                            list(&cols)
                        )),
                        None => pk_constraint = Some(cols),
                    }
                }
                Some("UniqueConstraint") => {
                    only_keywords(item, &["name"])?;
                    let cols: Vec<String> = item
                        .args
                        .iter()
                        .map(string)
                        .collect::<Option<_>>()
                        .ok_or("a unique constraint over computed columns")?;
                    // PostgreSQL's own name for an unnamed one.
                    let n = kw(item, "name")
                        .and_then(string)
                        .unwrap_or_else(|| format!("{table}_{}_key", cols.join("_")));
                    tail.push(format!(".unique({}, {})", lit(&n), list(&cols)));
                }
                Some("ForeignKeyConstraint") => {
                    only_keywords(item, &["name", "ondelete", "onupdate"])?;
                    let cols = item
                        .args
                        .first()
                        .and_then(strings)
                        .ok_or("a foreign key over computed columns")?;
                    let refs = item
                        .args
                        .get(1)
                        .and_then(strings)
                        .ok_or("a foreign key to computed columns")?;
                    let mut ref_table = None;
                    let mut ref_cols = Vec::new();
                    for r in &refs {
                        let (t, col) = r.rsplit_once('.').ok_or_else(|| {
                            format!("a foreign key to {r:?}, not \"table.column\"")
                        })?;
                        ref_table = Some(t.to_owned());
                        ref_cols.push(col.to_owned());
                    }
                    let mut f = format!(
                        "ForeignKey::new({}, {}, {})",
                        list(&cols),
                        lit(&ref_table.unwrap_or_default()),
                        list(&ref_cols)
                    );
                    if let Some(n) = kw(item, "name").and_then(string) {
                        let _ = write!(f, ".name({})", lit(&n));
                    }
                    f.push_str(&actions(item)?);
                    tail.push(format!(".foreign_key({f})"));
                }
                Some("CheckConstraint") => {
                    only_keywords(item, &["name"])?;
                    let sql = item
                        .args
                        .first()
                        .and_then(sql_text)
                        .ok_or("a check built in Python")?;
                    let n = kw(item, "name")
                        .and_then(string)
                        .unwrap_or_else(|| format!("{table}_check"));
                    tail.push(format!(".check({}, {})", lit(&n), lit(&sql)));
                }
                Some(other) => return Err(format!("{other} in create_table has no translation")),
                None => return Err("a create_table item that cannot be read".into()),
            }
        }
        // The primary key: the columns marked `primary_key=True` and those of
        // an unnamed `PrimaryKeyConstraint` (autogenerate writes the latter).
        // SQLAlchemy makes each of them NOT NULL, and the database generates
        // the values of a key that is one integer column (`autoincrement`).
        let mut key: Vec<String> = pk_constraint.clone().unwrap_or_default();
        for c in columns.iter().filter(|c| c.primary_key) {
            if !key.contains(&c.name) {
                key.push(c.name.clone());
            }
        }
        if let Some(k) = key.iter().find(|k| !columns.iter().any(|c| &c.name == *k)) {
            return Err(format!(
                "a primary key on {k}, which is not a column of the table"
            ));
        }
        let single = (key.len() == 1).then(|| key[0].clone());
        if key.len() > 1 {
            tail.insert(0, format!(".primary_key({})", list(&key)));
        }
        let mut code = format!("op.create_table({})", lit(&table));
        for col in &columns {
            let is_single = single.as_deref() == Some(col.name.as_str());
            let cc = col.code(
                key.contains(&col.name),
                is_single,
                is_single && col.generated(),
            );
            let _ = write!(code, "\n        .column({cc})");
            for (t, rc, acts, name) in &col.foreign_keys {
                let named = name
                    .as_ref()
                    .map(|n| format!(".name({})", lit(n)))
                    .unwrap_or_default();
                tail.push(format!(
                    ".foreign_key(ForeignKey::new([{}], {}, [{}]){named}{acts})",
                    lit(&col.name),
                    lit(t),
                    lit(rc)
                ));
            }
            if col.index {
                after.push(format!(
                    "op.create_index({}, {}, [{}]){};",
                    lit(&format!("ix_{table}_{}", col.name)),
                    lit(&table),
                    lit(&col.name),
                    if col.unique { ".unique()" } else { "" }
                ));
            }
        }
        for t in tail {
            let _ = write!(code, "\n        {t}");
        }
        code.push(';');
        let mut out = vec![code];
        out.extend(after);
        Ok(out)
    }
}

/// A column for `add_column`: a foreign key it declares is `.references`.
fn add_column_code(col: &ColumnCode) -> std::result::Result<String, String> {
    if col.primary_key {
        return Err("a new primary key column: add the column, then op.create_primary_key".into());
    }
    let mut code = col.code(false, false, false);
    match &col.foreign_keys[..] {
        [] => {}
        [(t, c, acts, None)] if acts.is_empty() => {
            let _ = write!(code, ".references({}, {})", lit(t), lit(c));
        }
        _ => return Err(
            "a new column with a foreign key that has actions: add it, then op.create_foreign_key"
                .into(),
        ),
    }
    if col.index {
        return Err("a new column with index=True: add it, then op.create_index".into());
    }
    Ok(code)
}

/// The changes of `alter_column(...)`.
fn alter_code(c: &ast::ExprCall) -> std::result::Result<String, String> {
    let mut out = String::new();
    for k in &c.keywords {
        let Some(a) = &k.arg else {
            return Err("**kwargs cannot be read".into());
        };
        match a.as_str() {
            "table_name" | "column_name" => {}
            // What the column was: Alembic needs it on MySQL, we read it there.
            "existing_type"
            | "existing_nullable"
            | "existing_server_default"
            | "existing_comment"
            | "existing_autoincrement" => {}
            "nullable" => {
                let b = boolean(&k.value).ok_or("nullable= that is not True or False")?;
                let _ = write!(out, ".nullable({b})");
            }
            "new_column_name" => {
                let n = string(&k.value).ok_or("new_column_name= that is not a literal")?;
                let _ = write!(out, ".rename_to({})", lit(&n));
            }
            "server_default" if is_none(&k.value) => out.push_str(".drop_default()"),
            "server_default" => {
                let _ = write!(out, ".server_default({})", lit(&server_default(&k.value)?));
            }
            "type_" => {
                let (ty, modifier) = sa_type(&k.value)?;
                out.push_str(&set_type_code(&ty, &modifier));
            }
            other => return Err(format!("alter_column with {other}= has no translation")),
        }
    }
    if out.is_empty() {
        return Err("alter_column that changes nothing we can read".into());
    }
    Ok(out)
}

/// `.set_type::<T>()`, or the full type when it has a length or precision.
fn set_type_code(ty: &str, modifier: &str) -> String {
    let kind = match ty {
        "Varchar" => "Text",
        "Bool" => "Bool",
        other => other,
    };
    if let Some(n) = modifier
        .strip_prefix(".length(")
        .and_then(|m| m.strip_suffix(')'))
    {
        return format!(".set_column_type(ColumnType {{ kind: ColumnKind::{kind}, length: Some({n}), precision: None }})");
    }
    if let Some(ps) = modifier
        .strip_prefix(".precision(")
        .and_then(|m| m.strip_suffix(')'))
    {
        return format!(".set_column_type(ColumnType {{ kind: ColumnKind::{kind}, length: None, precision: Some(({ps})) }})");
    }
    format!(".set_type::<{ty}>()")
}

/// `.unique()` and `.where_(...)` of an index.
fn index_code(c: &ast::ExprCall) -> std::result::Result<String, String> {
    let mut out = String::new();
    if kw(c, "unique").and_then(boolean) == Some(true) {
        out.push_str(".unique()");
    }
    let wheres: Vec<String> = ["postgresql_where", "sqlite_where"]
        .iter()
        .filter_map(|k| kw(c, k))
        .map(|e| sql_text(e).ok_or("a partial index condition built in Python"))
        .collect::<std::result::Result<_, _>>()?;
    match &wheres[..] {
        [] => {}
        [w] => {
            let _ = write!(out, ".where_({})", lit(w));
        }
        [a, b] if a == b => {
            let _ = write!(out, ".where_({})", lit(a));
        }
        _ => return Err("a partial index with a condition per dialect".into()),
    }
    if kw(c, "postgresql_concurrently").and_then(boolean) == Some(true) {
        out.push_str(".concurrently()");
    }
    if kw(c, "if_not_exists").and_then(boolean) == Some(true) {
        out.push_str(".if_not_exists()");
    }
    Ok(out)
}

fn constraint_kind(e: Option<&Expr>) -> std::result::Result<&'static str, String> {
    let t = e
        .and_then(string)
        .ok_or("drop_constraint without type_= (it is needed)")?;
    Ok(match t.as_str() {
        "foreignkey" => "ConstraintKind::ForeignKey",
        "unique" => "ConstraintKind::Unique",
        "check" => "ConstraintKind::Check",
        "primary" => "ConstraintKind::PrimaryKey",
        other => return Err(format!("a constraint of type {other:?}")),
    })
}

/// `op.bulk_insert("t", ["a", "b"], vec![row![..], ..]);`, the keys in the
/// table's column order. Rows with other keys are another statement: a key
/// a row leaves out takes the column's default, as in Alembic, never NULL.
fn bulk_insert_code(
    table: &TableDef,
    rows: Option<&Expr>,
) -> std::result::Result<Vec<String>, String> {
    let Some(Expr::List(rows)) = rows else {
        return Err("bulk_insert of rows built in Python".into());
    };
    let mut groups: Vec<(Vec<String>, Vec<Vec<String>>)> = Vec::new();
    for r in &rows.elts {
        let Expr::Dict(d) = r else {
            return Err("bulk_insert of a row that is not a {...} literal".into());
        };
        let mut m = HashMap::new();
        for (k, v) in d.keys.iter().zip(&d.values) {
            let k = k
                .as_ref()
                .and_then(string)
                .ok_or("a row key that is not a literal")?;
            if !table.columns.contains(&k) {
                return Err(format!(
                    "a row names {k}, which the table definition does not"
                ));
            }
            let v = value(v).ok_or_else(|| format!("the value of {k} is not a literal"))?;
            m.insert(k, v);
        }
        let cols: Vec<String> = table
            .columns
            .iter()
            .filter(|c| m.contains_key(*c))
            .cloned()
            .collect();
        let vals: Vec<String> = cols.iter().filter_map(|c| m.get(c).cloned()).collect();
        match groups.last_mut() {
            Some((c, rows)) if *c == cols => rows.push(vals),
            _ => groups.push((cols, vec![vals])),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(cols, rows)| {
            let mut code = format!(
                "op.bulk_insert({}, {}, vec![",
                lit(&table.name),
                list(&cols)
            );
            for r in rows {
                let _ = write!(code, "\n        row![{}],", r.join(", "));
            }
            code.push_str("\n    ]);");
            code
        })
        .collect())
}

/// What `migrate import alembic` wrote.
#[derive(Debug, Default)]
pub(super) struct Report {
    /// The files written, in chain order where it has one.
    pub written: Vec<std::path::PathBuf>,
    /// Steps left for a person, each with its file.
    pub todos: Vec<String>,
    /// Merge revisions, and why the files are not one chain yet.
    pub problems: Vec<String>,
}

/// Translates every revision file of `versions` into the migrations
/// directory `dir`. Nothing is written when a file cannot be read, or when a file
/// to write exists (unless `force`), or when the directory holds other
/// migrations: the import writes the first ones.
pub(super) fn import(dir: &str, versions: &std::path::Path, force: bool) -> Result<Report> {
    use std::path::Path;
    let read_err = |e| Error::Io {
        context: format!(
            "cannot read the Alembic versions directory {}",
            versions.display()
        ),
        source: e,
    };
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(versions)
        .map_err(read_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "py")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with("__") && !n.starts_with('.'))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no revision files (*.py): give the versions directory, e.g. alembic/versions",
            versions.display()
        )));
    }
    let mut imported = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| Error::Io {
            context: format!("cannot read {}", f.display()),
            source: e,
        })?;
        imported.push(translate(&text, &f.display().to_string())?);
    }
    for (i, m) in imported.iter().enumerate() {
        if let Some(j) = imported[..i].iter().position(|o| o.revision == m.revision) {
            return Err(Error::Usage(format!(
                "{} and {} are both revision {}: Alembic would refuse them too; remove one",
                files[j].display(),
                files[i].display(),
                m.revision
            )));
        }
    }
    let names: Vec<String> = imported
        .iter()
        .map(|m| {
            let slug = migrate_core::slugify(&m.message);
            if slug.is_empty() {
                format!("{}.rs", m.revision)
            } else {
                format!("{}_{slug}.rs", m.revision)
            }
        })
        .collect();
    let existing: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::Io {
            context: format!("cannot read the migrations directory {dir}"),
            source: e,
        })?
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|n| n.ends_with(".rs") && !n.starts_with('.'))
        .collect();
    let others: Vec<&String> = existing.iter().filter(|n| !names.contains(n)).collect();
    if !others.is_empty() {
        return Err(Error::Usage(format!(
            "{dir} already has migrations ({}): the import writes the first migrations of a chain; move them away first",
            others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let clash: Vec<&String> = names.iter().filter(|n| existing.contains(n)).collect();
    if !clash.is_empty() && !force {
        return Err(Error::Usage(format!(
            "{} already exist in {dir}: pass --force to write over them",
            clash
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut report = Report::default();
    struct Node<'a>(&'a Imported);
    impl migrate_core::ChainNode for Node<'_> {
        fn revision(&self) -> &str {
            &self.0.revision
        }
        fn down_revision(&self) -> Option<&str> {
            self.0.down_revision.as_deref()
        }
    }
    let nodes: Vec<Node<'_>> = imported.iter().map(Node).collect();
    let order: Vec<usize> = match migrate_core::order_chain(&nodes) {
        Ok(o) => o,
        Err(errs) => {
            for e in errs {
                report
                    .problems
                    .push(format!("the revisions are not one chain yet: {e:?}"));
            }
            (0..imported.len()).collect()
        }
    };
    for m in &imported {
        if !m.merge_of.is_empty() {
            report.problems.push(format!(
                "{} merges {}: give it one parent by hand (its file says how)",
                m.revision,
                m.merge_of.join(", ")
            ));
        }
    }
    let now = crate::clock::date_time();
    let notes = vec![
        String::new(),
        comment(&format!(
            "Imported from Alembic ({}) by `migrate import alembic`.",
            versions.display()
        )),
    ];
    for i in order {
        let m = &imported[i];
        let path = Path::new(dir).join(&names[i]);
        let file = super::revision::MigrationFile {
            revision: &m.revision,
            down_revision: m.down_revision.as_deref(),
            message: &m.message,
            create_date: m.create_date.as_deref().unwrap_or(&now),
            notes: &notes,
            transactional: true,
            upgrade: m.upgrade.clone(),
            downgrade: Some(m.downgrade.clone()),
        };
        super::revision::write_file(&path, &file, force)?;
        for t in &m.todos {
            report.todos.push(format!("{}: {t}", path.display()));
        }
        report.written.push(path);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &str = r#""""create users

Revision ID: 1a2b3c4d5e6f
Revises:
Create Date: 2024-05-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '1a2b3c4d5e6f'
down_revision: Union[str, None] = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.text('1'), nullable=False),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('teams.id', ondelete='CASCADE')),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uq_users_name'),
    )
    op.create_index(op.f('ix_users_name'), 'users', ['name'], unique=False)
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('active'))
    op.bulk_insert(users, [{'id': 1, 'name': 'admin'}, {'id': 2, 'name': 'root', 'active': False}])
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('name', new_column_name='login', type_=sa.String(length=200))
    conn = op.get_bind()
    for row in conn.execute(sa.text("SELECT id FROM users")):
        conn.execute(sa.text("UPDATE users SET name = name"))


def downgrade() -> None:
    op.drop_index(op.f('ix_users_name'), table_name='users')
    op.drop_table('users')
"#;

    #[test]
    fn an_alembic_revision_becomes_typed_operations_and_marked_todos() {
        let m = translate(USERS, "1a2b_create_users.py").unwrap();
        assert_eq!(m.revision, "1a2b3c4d5e6f");
        assert_eq!(m.down_revision, None);
        assert_eq!(m.message, "create users");
        assert_eq!(m.create_date.as_deref(), Some("2024-05-01 10:00:00.000000"));
        let up = &m.upgrade;
        for want in [
            "op.create_table(\"users\")",
            // autogenerate's form: the key as a constraint, and still generated.
            ".column(col::<Integer>(\"id\").primary_key().autoincrement())",
            ".column(col::<Varchar>(\"name\").length(100))",
            ".column(col::<Bool>(\"active\").server_default(\"1\"))",
            ".column(col::<Nullable<Integer>>(\"team_id\"))",
            ".unique(\"uq_users_name\", [\"name\"])",
            ".foreign_key(ForeignKey::new([\"team_id\"], \"teams\", [\"id\"]).on_delete(Action::Cascade))",
            "op.create_index(\"ix_users_name\", \"users\", [\"name\"]);",
            // A key a row leaves out takes its default: another statement, never NULL.
            "op.bulk_insert(\"users\", [\"id\", \"name\"], vec![\n        row![1i64, \"admin\"],\n    ]);",
            "op.bulk_insert(\"users\", [\"id\", \"name\", \"active\"], vec![\n        row![2i64, \"root\", false],\n    ]);",
            "op.batch_alter_table(\"users\", |batch_op| {",
            "batch_op.alter_column(\"name\").rename_to(\"login\").set_column_type(ColumnType { kind: ColumnKind::Text, length: Some(200), precision: None });",
            "//     for row in conn.execute(sa.text(\"SELECT id FROM users\")):",
            "compile_error!(\"migrate import: revision 1a2b3c4d5e6f (upgrade): Python code, a loop;",
        ] {
            assert!(up.contains(want), "{want}\n{up}");
        }
        assert_eq!(m.todos.len(), 1, "{:?}", m.todos);
        assert!(m
            .downgrade
            .contains("op.drop_index(\"ix_users_name\", \"users\");"));
        assert!(m.downgrade.contains("op.drop_table(\"users\");"));
    }

    /// The Python of one `def upgrade()` body, translated.
    fn upgrade_of(body: &str) -> Imported {
        let src = format!("revision = 'r1'\ndown_revision = None\ndef upgrade():\n{body}\ndef downgrade():\n    pass\n");
        translate(&src, "r1.py").unwrap()
    }

    #[test]
    fn what_changes_ddl_without_a_typed_form_is_a_step_never_dropped() {
        for body in [
            "    op.add_column('t', sa.Column('c', sa.String(50, collation='C')))",
            "    op.add_column('t', sa.Column('c', sa.String(length=MAX)))",
            "    op.add_column('t', sa.Column('c', sa.DateTime(True)))",
            "    op.add_column('t', sa.Column('c', mysql.INTEGER(unsigned=True)))",
            "    op.create_table('t', sa.Column('id', sa.Integer()), mysql_charset='latin1')",
            "    op.drop_index('ix', table_name='t', postgresql_concurrently=True)",
            "    op.create_index('ix', 't', [sa.text('name DESC')])",
            "    op.alter_column('t', 'c', comment='shown in psql')",
            "    with op.batch_alter_table('t') as b:\n        op.drop_column('t', 'c')",
            "    with op.batch_alter_table('t') as type:\n        type.drop_column('c')",
            "    op.bulk_insert(sa.table('t', sa.column('n')), [{'n': 99999999999999999999}])",
        ] {
            let m = upgrade_of(body);
            assert_eq!(m.todos.len(), 1, "{body}\n{}", m.upgrade);
            assert!(
                m.upgrade.contains("compile_error!"),
                "{body}\n{}",
                m.upgrade
            );
        }
        let m = upgrade_of("    op.drop_index('ix', table_name='t', if_exists=True)");
        assert!(
            m.upgrade
                .contains("op.drop_index_if_exists(\"ix\", \"t\");"),
            "{}",
            m.upgrade
        );
        let m = upgrade_of("    op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('e', sa.String(9), unique=True, index=True), sa.Column('u', sa.Integer(), sa.ForeignKey('u.id', name='fk_u')), mysql_engine='InnoDB')");
        for want in [
            ".column(col::<Integer>(\"id\").primary_key().autoincrement())",
            ".column(col::<Nullable<Varchar>>(\"e\").length(9))",
            "op.create_index(\"ix_t_e\", \"t\", [\"e\"]).unique();",
            ".foreign_key(ForeignKey::new([\"u\"], \"u\", [\"id\"]).name(\"fk_u\"))",
        ] {
            assert!(m.upgrade.contains(want), "{want}\n{}", m.upgrade);
        }
        // A composite key: both columns NOT NULL, none generated.
        let m = upgrade_of("    op.create_table('t', sa.Column('a', sa.Integer()), sa.Column('b', sa.Integer()), sa.PrimaryKeyConstraint('a', 'b'))");
        assert!(m.upgrade.contains(".column(col::<Integer>(\"a\"))\n        .column(col::<Integer>(\"b\"))\n        .primary_key([\"a\", \"b\"])"), "{}", m.upgrade);
    }

    #[test]
    fn text_from_the_python_cannot_leave_a_comment() {
        let src = "\"\"\"first\rline\n\nCreate Date: 2024\r\n\"\"\"\nrevision = 'r1'\ndown_revision = None\ndef upgrade():\n    op.create_foreign_key('fk', 't', 'u', ['a'], ['id'], ondelete='x\\nfn evil() {}')\ndef downgrade():\n    pass\n";
        let m = translate(src, "r1.py").unwrap();
        assert!(!m.message.contains('\r'), "{:?}", m.message);
        for line in m.upgrade.lines() {
            assert!(!line.trim_start().starts_with("fn evil"), "{}", m.upgrade);
        }
        let e = translate("revision = 'r2'\ndown_revision = 'a\\nb'\n", "r2.py")
            .unwrap_err()
            .to_string();
        assert!(e.contains("down_revision"), "{e}");
        // A byte order mark first is read past.
        assert_eq!(
            translate("\u{feff}revision = 'r3'\n", "r3.py")
                .unwrap()
                .revision,
            "r3"
        );
    }

    #[test]
    fn a_merge_is_reported_and_does_not_compile() {
        let src = "revision = 'm1'\ndown_revision = ('a1', 'b2')\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n";
        let m = translate(src, "m1.py").unwrap();
        assert_eq!(m.merge_of, ["a1", "b2"]);
        assert_eq!(m.down_revision.as_deref(), Some("a1"));
        assert!(
            m.upgrade
                .contains("compile_error!(\"revision m1 merges a1, b2"),
            "{}",
            m.upgrade
        );
    }

    #[test]
    fn what_is_not_an_alembic_revision_is_refused_clearly() {
        let e = translate("def upgrade(:\n", "bad.py")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.py is not Python that can be read"), "{e}");
        let e = translate("x = 1\n", "x.py").unwrap_err().to_string();
        assert!(e.contains("has no `revision = '...'`"), "{e}");
        let e = translate("revision = 'a-b'\n", "x.py")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be kept"), "{e}");
    }

    #[test]
    fn the_import_writes_the_first_migrations_and_over_nothing_without_force() {
        let versions = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let e = import(d, versions.path(), false).unwrap_err().to_string();
        assert!(e.contains("has no revision files"), "{e}");
        std::fs::write(versions.path().join("1a2b_create_users.py"), USERS).unwrap();
        std::fs::create_dir(versions.path().join("__pycache__")).unwrap();
        let r = import(d, versions.path(), false).unwrap();
        let file = dir.path().join("1a2b3c4d5e6f_create_users.rs");
        assert_eq!(r.written, std::slice::from_ref(&file));
        assert_eq!(r.todos.len(), 1, "{:?}", r.todos);
        let e = import(d, versions.path(), false).unwrap_err().to_string();
        assert!(e.contains("pass --force"), "{e}");
        std::fs::write(&file, "edited").unwrap();
        import(d, versions.path(), true).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("revision = \"1a2b3c4d5e6f\""), "{text}");
        std::fs::write(versions.path().join("copy.py"), USERS).unwrap();
        let e = import(d, versions.path(), true).unwrap_err().to_string();
        assert!(e.contains("are both revision 1a2b3c4d5e6f"), "{e}");
        std::fs::remove_file(versions.path().join("copy.py")).unwrap();
        std::fs::write(dir.path().join("ffff_other.rs"), "").unwrap();
        let e = import(d, versions.path(), true).unwrap_err().to_string();
        assert!(e.contains("already has migrations (ffff_other.rs)"), "{e}");
    }
}
