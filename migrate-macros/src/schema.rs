//! The schema the chain builds, folded at compile time from the operations
//! each migration writes with literal names, so that a name that is not there
//! (a typo, a table dropped earlier) is a compile error at its literal, and a
//! downgrade that does not undo its upgrade is one too.
//!
//! What is understood: statements of the function body of the form
//! `op.<method>(<literals>)<.builder(<literals>)>*;`, where `op` is the
//! function's first parameter, for the table, column and index operations of
//! `Op` (`create_table` with its `.column(col::<T>("name")...)`,
//! `.primary_key([..])` and `.unique([..])`; `drop_table`, `rename_table`,
//! `add_column`, `drop_column`, `alter_column` with `.rename_to(..)`,
//! `create_index`, `bulk_insert`, the constraint operations, and their
//! `_if_exists` / `_if_not_exists` forms; `batch_alter_table`'s closure
//! `|b| { b.<operation>(..); }` on its table; foreign keys of a
//! `create_table`). Names are string literals, column
//! lists arrays of them.
//!
//! No false positives: whatever else a function does with `op` (raw SQL with
//! `execute` other than one `INSERT`, `UPDATE` or `DELETE`, a data step with `run`, a loop, a `let`, a helper it is passed
//! to, a name computed at run time, an operation this module does not know)
//! makes what it may touch unknown from there on: the whole schema when it
//! may create, drop or rename tables, else the columns of the tables it
//! names. Nothing is checked against what is unknown; a later literal
//! `create_table` defines its table again. The chain starts from an empty
//! database, which is what `upgrade` from base assumes too.
//!
//! A column's type, nullability and default are followed where the column
//! expression and `alter_column`'s builders say them with literals, for the
//! check that a downgrade restores what its upgrade changed; a fact the model
//! is not sure of is unknown and never compared.
//!
//! Names are matched as the most forgiving database matches them: a table or
//! column that differs only in case is the same one (SQLite, and MySQL for
//! columns), and only an exact match is "already there". What a database
//! drops by itself is dropped here too: a column's indexes and constraints
//! with it, a table's with the table.

use std::collections::BTreeMap;
use std::rc::Rc;

use syn::visit::Visit;
use syn::{Expr, ExprMethodCall, LitStr, Stmt};

/// What the literal operations say of a column beyond its name: each fact
/// `None` (or [`DefaultFact::Unknown`]) where they do not say it for sure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
    /// Its kind as the runtime stores it, with a length or precision:
    /// `Integer`, `Text(100)`, `Numeric(10, 2)`.
    ty: Option<Ty>,
    /// Whether it accepts NULL.
    nullable: Option<bool>,
    default: DefaultFact,
    /// Whether it is (part of) the primary key.
    key: Option<bool>,
    /// Whether the database generates its values (`.autoincrement()`).
    autoincrement: Option<bool>,
}

/// A column's default as far as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DefaultFact {
    Unknown,
    /// None at all (a `NULL` default reads so too).
    None,
    /// A typed value, written out: `5`, `'x'`, `true`, `1.5`.
    Value(String),
    /// Raw SQL, which may equal a value or another spelling: never compared.
    Sql,
}

impl Facts {
    const UNKNOWN: Facts = Facts {
        ty: None,
        nullable: None,
        default: DefaultFact::Unknown,
        key: None,
        autoincrement: None,
    };
}

/// A table as far as the chain's literal operations say.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Table {
    /// Its columns in order.
    columns: Vec<String>,
    /// What is known of each of `columns`, at the same place.
    facts: Vec<Facts>,
    /// Indexes `create_index` made on it, with their columns.
    indexes: BTreeMap<String, Vec<String>>,
    /// Constraints made under a name of their own, with their columns when
    /// they are known (a check's are not).
    constraints: BTreeMap<String, Option<Vec<String>>>,
    /// Whether `columns` are all it has. An operation that was not
    /// understood leaves the table's existence known and the rest not.
    exact: bool,
    /// Whether `indexes` are all the indexes a migration made on it: false
    /// once one dropped an index the model did not know (one the database
    /// named itself, say), which a downgrade may then make again.
    indexes_exact: bool,
}

impl Table {
    fn new(exact: bool) -> Self {
        Table {
            columns: Vec::new(),
            facts: Vec::new(),
            indexes: BTreeMap::new(),
            constraints: BTreeMap::new(),
            exact,
            indexes_exact: exact,
        }
    }

    /// The column named `name`, in any case.
    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name).or_else(|| {
            self.columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(name))
        })
    }

    fn push_column(&mut self, name: String, facts: Facts) {
        self.columns.push(name);
        self.facts.push(facts);
    }

    /// The facts of the column named `name`, in any case.
    fn facts_mut(&mut self, name: &str) -> Option<&mut Facts> {
        let i = self.column(name)?;
        self.facts.get_mut(i)
    }

    /// Drops a column and, as the databases do, its indexes and the
    /// constraints over it (and those whose columns are not known).
    fn drop_column(&mut self, name: &str) {
        let Some(i) = self.column(name) else { return };
        let c = self.columns.remove(i);
        self.facts.remove(i);
        let over = |cols: &[String]| cols.iter().any(|x| x.eq_ignore_ascii_case(&c));
        self.indexes.retain(|_, cols| !over(cols));
        self.constraints
            .retain(|_, cols| cols.as_deref().is_some_and(|cols| !over(cols)));
    }

    fn rename_column(&mut self, from: &str, to: &str) {
        let Some(i) = self.column(from) else { return };
        let old = std::mem::replace(&mut self.columns[i], to.to_owned());
        let rename = |cols: &mut Vec<String>| {
            for x in cols.iter_mut() {
                if x.eq_ignore_ascii_case(&old) {
                    *x = to.to_owned();
                }
            }
        };
        self.indexes.values_mut().for_each(rename);
        self.constraints.values_mut().flatten().for_each(rename);
    }
}

/// The schema at one point of the chain.
#[derive(Debug, Clone)]
pub struct Model {
    /// The tables known to exist. Shared between the models of successive
    /// migrations until one changes (the check of a downgrade compares the
    /// model before the migration with the one after it and its downgrade:
    /// a thousand migrations would otherwise copy every table twice each).
    tables: Rc<BTreeMap<Rc<str>, Rc<Table>>>,
    /// Whether every table that exists is in `tables`: false once an
    /// operation that was not understood may have created one.
    complete: bool,
    /// How many times something became unknown: a fold that left it
    /// unchanged understood everything it did.
    losses: usize,
    /// The tables changed since [`Model::start_migration`], under the
    /// names they were stored by: the only ones a downgrade's check has to
    /// look at (comparing every table at every migration grows with the
    /// square of the chain).
    touched: Vec<Rc<str>>,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            tables: Rc::new(BTreeMap::new()),
            complete: true,
            losses: 0,
            touched: Vec::new(),
        }
    }
}

/// An error at a string literal of the folded function: the literal's place
/// among the function body's string literals (as [`literals`] lists them),
/// its text, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Index into [`literals`] of the function.
    pub index: usize,
    /// The literal's value, so that the reporting side can check it is the one.
    pub value: String,
    /// What is wrong.
    pub message: String,
}

/// The string literals of a function body, in the order both the collector
/// (parsing the file) and the attribute (given the function) visit them.
pub fn literals(f: &syn::ItemFn) -> Vec<&LitStr> {
    struct V<'a>(Vec<&'a LitStr>);
    impl<'a> Visit<'a> for V<'a> {
        fn visit_lit_str(&mut self, l: &'a LitStr) {
            self.0.push(l);
        }
    }
    let mut v = V(Vec::new());
    v.visit_block(&f.block);
    v.0
}

impl Model {
    /// Forgets everything: any table may exist, with any columns.
    fn forget_all(&mut self) {
        self.tables = Rc::new(BTreeMap::new());
        self.complete = false;
        self.losses += 1;
    }

    /// Every table's columns become unknown; which tables exist stays known.
    fn blur_all(&mut self) {
        for t in Rc::make_mut(&mut self.tables).values_mut() {
            if t.exact || t.indexes_exact {
                let t = Rc::make_mut(t);
                t.exact = false;
                t.indexes_exact = false;
            }
        }
        self.losses += 1;
    }

    fn blur(&mut self, table: &str) {
        if let Some(t) = self.table_mut(table) {
            t.exact = false;
            t.indexes_exact = false;
        }
        self.losses += 1;
    }

    /// The stored name of the table `name`: the same, or the only one that
    /// differs from it in case alone.
    fn key(&self, name: &str) -> Option<Rc<str>> {
        if let Some((k, _)) = self.tables.get_key_value(name) {
            return Some(k.clone());
        }
        let mut same = self.tables.keys().filter(|k| k.eq_ignore_ascii_case(name));
        match (same.next(), same.next()) {
            (Some(k), None) => Some(k.clone()),
            _ => None,
        }
    }

    /// From here on, [`Model::undo_differences`] compares the tables
    /// changed after this point only.
    pub fn start_migration(&mut self) {
        self.touched.clear();
    }

    fn insert(&mut self, name: Rc<str>, table: Rc<Table>) {
        self.touched.push(name.clone());
        Rc::make_mut(&mut self.tables).insert(name, table);
    }

    fn table(&self, name: &str) -> Option<&Table> {
        let k = self.key(name)?;
        self.tables.get(&k).map(|t| &**t)
    }

    /// A table to change, copied first if another model shares it.
    fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        let k = self.key(name)?;
        self.touched.push(k.clone());
        Rc::make_mut(&mut self.tables).get_mut(&k).map(Rc::make_mut)
    }

    fn remove(&mut self, name: &str) -> Option<Rc<Table>> {
        let k = self.key(name)?;
        self.touched.push(k.clone());
        Rc::make_mut(&mut self.tables).remove(&k)
    }

    /// What `other`, the model before a migration, has that this one (after
    /// its upgrade and downgrade) does not, and the other way round: what a
    /// downgrade fails to undo. Tables unknown on either side are left out.
    /// Only the tables changed since [`Model::start_migration`] (called on
    /// the model `before` was cloned from) can differ: the others are the
    /// same, shared.
    pub fn undo_differences(&self, before: &Model) -> Vec<String> {
        let mut out = Vec::new();
        // The map itself shared: nothing changed.
        if Rc::ptr_eq(&self.tables, &before.tables) {
            return out;
        }
        // In the order of the names, as the tables are.
        let changed: std::collections::BTreeSet<&Rc<str>> = self.touched.iter().collect();
        for (name, t) in changed
            .iter()
            .filter_map(|n| self.tables.get_key_value(&***n))
        {
            // Shared since: the migration did not touch it.
            if before.tables.get(name).is_some_and(|b| Rc::ptr_eq(b, t)) {
                continue;
            }
            match before.key(name).and_then(|k| before.tables.get(&k)) {
                None if before.complete => out.push(format!("leaves table {name}")),
                None => {}
                Some(b) => {
                    if b.exact && t.exact {
                        for c in &t.columns {
                            if b.column(c).is_none() {
                                out.push(format!("leaves column {name}.{c}"));
                            }
                        }
                        for (c, was) in b.columns.iter().zip(&b.facts) {
                            match t.column(c) {
                                None => out.push(format!("does not restore column {name}.{c}")),
                                Some(i) => {
                                    if let Some(now) = t.facts.get(i) {
                                        facts_undone(&mut out, &format!("{name}.{c}"), was, now);
                                    }
                                }
                            }
                        }
                    }
                    if b.indexes_exact && t.indexes_exact {
                        for i in t.indexes.keys() {
                            if !b.indexes.contains_key(i) {
                                out.push(format!("leaves index {i} on {name}"));
                            }
                        }
                        for i in b.indexes.keys() {
                            if !t.indexes.contains_key(i) {
                                out.push(format!("does not restore index {i} on {name}"));
                            }
                        }
                    }
                }
            }
        }
        if self.complete {
            for name in changed
                .iter()
                .filter(|n| before.tables.contains_key(&****n))
            {
                if self.key(name).is_none() {
                    out.push(format!("does not restore table {name}"));
                }
            }
        }
        out
    }

    /// Whether anything became unknown since `before` was taken from it.
    pub fn lost_since(&self, before: &Model) -> bool {
        self.losses != before.losses
    }
}

/// What a downgrade left different in the facts of column `at` (`was`
/// before the upgrade, `now` after the downgrade), where both are known.
fn facts_undone(out: &mut Vec<String>, at: &str, was: &Facts, now: &Facts) {
    if let (Some(a), Some(b)) = (&was.ty, &now.ty) {
        if a != b {
            out.push(format!(
                "does not restore the type of column {at} ({a}, not {b})"
            ));
        }
    }
    if let (Some(a), Some(b)) = (was.nullable, now.nullable) {
        if a != b {
            let how = if a { "nullable" } else { "NOT NULL" };
            out.push(format!("does not restore column {at} as {how}"));
        }
    }
    match (was.key, now.key) {
        (Some(true), Some(false)) => {
            out.push(format!("does not restore column {at} in the primary key"));
        }
        (Some(false), Some(true)) => out.push(format!("leaves column {at} in the primary key")),
        _ => {}
    }
    match (was.autoincrement, now.autoincrement) {
        (Some(true), Some(false)) => {
            out.push(format!("does not restore column {at} as autoincrement"));
        }
        (Some(false), Some(true)) => out.push(format!("leaves column {at} autoincrement")),
        _ => {}
    }
    match (&was.default, &now.default) {
        (DefaultFact::None, DefaultFact::Value(_) | DefaultFact::Sql) => {
            out.push(format!("leaves a default on column {at}"));
        }
        (DefaultFact::Value(_) | DefaultFact::Sql, DefaultFact::None) => {
            out.push(format!("does not restore the default of column {at}"));
        }
        (DefaultFact::Value(a), DefaultFact::Value(b)) if a != b => {
            out.push(format!(
                "does not restore the default of column {at} ({a}, not {b})"
            ));
        }
        _ => {}
    }
}

/// Folds the function `f` into `model`, returning the errors at its literals.
pub fn fold(model: &mut Model, f: &syn::ItemFn) -> Vec<Diagnostic> {
    let lits = literals(f);
    let mut folder = Folder {
        model,
        lits: &lits,
        out: Vec::new(),
        references: Vec::new(),
    };
    folder.function(f);
    // Foreign keys to a table not there yet are checked once the function
    // has made all its tables (SQLite takes one to a table made after it).
    for (parent, columns) in std::mem::take(&mut folder.references) {
        if folder.existing(parent) == Some(true) {
            folder.has_columns(&parent.value(), columns.as_ref());
        }
    }
    folder.out
}

struct Folder<'m, 'l> {
    model: &'m mut Model,
    lits: &'l [&'l LitStr],
    out: Vec<Diagnostic>,
    /// The tables and columns `create_table`s referenced before the
    /// parent existed, checked at the end of the function.
    references: Vec<(&'l LitStr, Option<&'l Expr>)>,
}

/// A method call of a chain: its name, turbofish and arguments.
struct Call<'e> {
    method: String,
    turbofish: Option<&'e syn::AngleBracketedGenericArguments>,
    args: Vec<&'e Expr>,
}

/// `recv.a(x).b(y)` as its root receiver and the calls, first to last.
fn method_chain(e: &Expr) -> (&Expr, Vec<Call<'_>>) {
    let mut calls = Vec::new();
    let mut cur = e;
    while let Expr::MethodCall(ExprMethodCall {
        receiver,
        method,
        args,
        turbofish,
        ..
    }) = cur
    {
        // A turbofish never changes a name; `set_type::<T>()`'s is a type.
        calls.push(Call {
            method: method.to_string(),
            turbofish: turbofish.as_ref(),
            args: args.iter().collect(),
        });
        cur = receiver;
    }
    calls.reverse();
    (cur, calls)
}

/// The string literal `e` is (`"x"`, `&"x"`, `("x")`).
fn lit(e: &Expr) -> Option<&LitStr> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s),
        Expr::Reference(r) => lit(&r.expr),
        Expr::Paren(p) => lit(&p.expr),
        Expr::Group(g) => lit(&g.expr),
        _ => None,
    }
}

/// The string literals of an array `["a", "b"]` (or `&[...]`); `None` when
/// any element is not one.
fn lit_list(e: &Expr) -> Option<Vec<&LitStr>> {
    match e {
        Expr::Array(a) => a.elems.iter().map(lit).collect(),
        Expr::Reference(r) => lit_list(&r.expr),
        Expr::Paren(p) => lit_list(&p.expr),
        Expr::Group(g) => lit_list(&g.expr),
        _ => None,
    }
}

/// The name of a column expression `col::<T>("name")...` (or
/// `Column::<T>::new("name")...`), whatever its builder calls.
fn column_name(e: &Expr) -> Option<&LitStr> {
    let (root, _) = method_chain(e);
    let Expr::Call(c) = root else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    let last = p.path.segments.last()?.ident.to_string();
    let is_col = last == "col"
        || (last == "new"
            && p.path
                .segments
                .iter()
                .rev()
                .nth(1)
                .is_some_and(|s| s.ident == "Column"));
    if !is_col || c.args.len() != 1 {
        return None;
    }
    lit(&c.args[0])
}

/// The column kind the runtime stores for the SQL type `ty`, and whether
/// the type itself is `Nullable<_>`: diesel's names of the types the
/// runtime maps (and their aliases), by the last segment of the path.
/// Another type (an alias of the user's) is not known.
fn sql_kind(ty: &syn::Type) -> Option<(&'static str, bool)> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let name = last.ident.to_string();
    if name == "Nullable" {
        let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
            return None;
        };
        let [syn::GenericArgument::Type(inner)] = a.args.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        return sql_kind(inner).map(|(k, _)| (k, true));
    }
    if !last.arguments.is_none() {
        return None;
    }
    let kind = match name.as_str() {
        "SmallInt" | "Int2" => "SmallInt",
        "Integer" | "Int4" => "Integer",
        "BigInt" | "Int8" => "BigInt",
        "Text" | "VarChar" | "Varchar" => "Text",
        "Bool" => "Bool",
        "Float" | "Float4" => "Float",
        "Double" | "Float8" => "Double",
        "Numeric" | "Decimal" => "Numeric",
        "Date" => "Date",
        "Time" => "Time",
        "Timestamp" => "Timestamp",
        "Timestamptz" => "Timestamptz",
        "Binary" | "Bytea" => "Binary",
        "Json" => "Json",
        "Jsonb" => "Jsonb",
        "Uuid" => "Uuid",
        _ => return None,
    };
    Some((kind, false))
}

/// The one type of a generic argument list `<T>`.
fn one_type(
    args: &syn::punctuated::Punctuated<syn::GenericArgument, syn::Token![,]>,
) -> Option<&syn::Type> {
    match args.iter().collect::<Vec<_>>()[..] {
        [syn::GenericArgument::Type(t)] => Some(t),
        _ => None,
    }
}

/// An integer literal's value (`100`, `100u32`).
fn int(e: &Expr) -> Option<u64> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        Expr::Paren(p) => int(&p.expr),
        Expr::Group(g) => int(&g.expr),
        _ => None,
    }
}

/// A typed default value `e` on a column of `kind` (`None`: not known), as
/// the model compares it: a literal of the kind's own category written out
/// by its value (`5` and `5i32` are one, so are `1.0` and `1.`); `None` is no
/// default (a `NULL` one). A value that may render as another spelling of
/// the same (an integer on a float column, `true` where SQLite and MySQL
/// store `1`, `Literal("1.50")` on a decimal) is there but never compared,
/// and a computed one is unknown.
fn default_value(e: &Expr, kind: Option<&str>) -> DefaultFact {
    use syn::Lit;
    let value = |e: &Expr, neg: bool| -> Option<DefaultFact> {
        let Expr::Lit(l) = e else { return None };
        let sign = if neg { "-" } else { "" };
        let written = match (&l.lit, kind) {
            (Lit::Str(s), Some("Text")) if !neg => format!("{:?}", s.value()),
            (Lit::Bool(b), Some("Bool")) if !neg => b.value.to_string(),
            (Lit::Int(i), Some("SmallInt" | "Integer" | "BigInt")) => {
                format!("{sign}{}", i.base10_digits())
            }
            (Lit::Float(f), Some("Float" | "Double")) => {
                let v = f.base10_parse::<f64>().ok()?;
                format!("{:?}", if neg { -v } else { v })
            }
            (Lit::Str(_) | Lit::Bool(_) | Lit::Int(_) | Lit::Float(_), _) => {
                return Some(DefaultFact::Sql)
            }
            _ => return None,
        };
        Some(DefaultFact::Value(written))
    };
    let found = match e {
        Expr::Paren(p) => return default_value(&p.expr, kind),
        Expr::Group(g) => return default_value(&g.expr, kind),
        Expr::Reference(r) => return default_value(&r.expr, kind),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => value(&u.expr, true),
        Expr::Path(p) if p.path.is_ident("None") => Some(DefaultFact::None),
        Expr::Call(c) => {
            let name = match &*c.func {
                Expr::Path(f) => f.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            };
            match (name.as_deref(), c.args.len()) {
                (Some("Some"), 1) => return default_value(&c.args[0], kind),
                (Some("Literal"), 1) if lit(&c.args[0]).is_some() => Some(DefaultFact::Sql),
                _ => None,
            }
        }
        e => value(e, false),
    };
    found.unwrap_or(DefaultFact::Unknown)
}

/// A raw SQL default: `NULL` is none; anything else is there but never
/// compared; a computed one is unknown.
fn sql_default(e: &Expr) -> DefaultFact {
    match lit(e) {
        Some(s) if s.value().trim().eq_ignore_ascii_case("null") => DefaultFact::None,
        Some(_) => DefaultFact::Sql,
        None => DefaultFact::Unknown,
    }
}

/// What a column expression `col::<T>("name")...` says of the column: its
/// type, nullability and default, as the runtime's builders set them in
/// order. A builder the model does not know leaves nothing known.
fn column_facts(e: &Expr) -> Facts {
    let (root, calls) = method_chain(e);
    let Expr::Call(c) = root else {
        return Facts::UNKNOWN;
    };
    let Expr::Path(p) = &*c.func else {
        return Facts::UNKNOWN;
    };
    // `col::<T>` or `Column::<T>::new`.
    let generics = p
        .path
        .segments
        .iter()
        .rev()
        .find_map(|s| match &s.arguments {
            syn::PathArguments::AngleBracketed(a) => Some(&a.args),
            _ => None,
        });
    let Some((kind, nullable)) = generics.and_then(one_type).and_then(sql_kind) else {
        return Facts::UNKNOWN;
    };
    let mut facts = Facts {
        ty: None,
        nullable: Some(nullable),
        default: DefaultFact::None,
        key: Some(false),
        autoincrement: Some(false),
    };
    let mut length = None;
    let mut precision = None;
    let mut ty_known = true;
    let mut key = false;
    for call in &calls {
        match (call.method.as_str(), &call.args[..]) {
            ("primary_key", []) => {
                facts.nullable = Some(false);
                facts.key = Some(true);
                key = true;
            }
            ("nullable", []) => facts.nullable = Some(true),
            ("autoincrement", []) => facts.autoincrement = Some(true),
            ("unique", []) | ("references", [_, _]) | ("reviewed", _) => {}
            ("default", [v]) => facts.default = default_value(v, Some(kind)),
            ("server_default", [v]) => facts.default = sql_default(v),
            // The runtime writes a length for text (`VARCHAR(n)`) on every
            // database, for binary on MySQL alone, and for nothing else.
            ("length", [n]) => match (kind, int(n)) {
                ("Text", Some(n)) => length = Some(n),
                ("Text" | "Binary", _) => ty_known = false,
                _ => {}
            },
            // A precision only for decimals.
            ("precision", [p, s]) => match (kind, int(p), int(s)) {
                ("Numeric", Some(p), Some(s)) => precision = Some((p, s)),
                ("Numeric", _, _) => ty_known = false,
                _ => {}
            },
            _ => return Facts::UNKNOWN,
        }
    }
    // A key column made nullable after `.primary_key()`: PostgreSQL and
    // MySQL make it NOT NULL all the same, SQLite does not.
    if key && facts.nullable == Some(true) {
        facts.nullable = None;
    }
    if ty_known {
        facts.ty = Some(Ty {
            kind,
            length,
            precision,
        });
    }
    facts
}

/// A column type as the model compares it: the kind the runtime stores,
/// with a text's length or a decimal's precision. Written out only in
/// messages (`Text(100)`, `Numeric(10, 2)`): a thousand migrations' columns
/// cost no allocation each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ty {
    kind: &'static str,
    length: Option<u64>,
    precision: Option<(u64, u64)>,
}

impl Ty {
    fn of(kind: &'static str) -> Self {
        Ty {
            kind,
            length: None,
            precision: None,
        }
    }
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.kind;
        match (self.length, self.precision) {
            (None, None) => write!(f, "{kind}"),
            (Some(n), None) => write!(f, "{kind}({n})"),
            (None, Some((p, s))) => write!(f, "{kind}({p}, {s})"),
            (Some(n), Some((p, s))) => write!(f, "{kind}({n}; {p}, {s})"),
        }
    }
}

/// What `alter_column`'s builder calls `rest` do to the facts of its column
/// (its `rename_to` is followed apart). A builder the model does not know
/// leaves nothing known.
fn alter_facts(facts: &mut Facts, rest: &[Call<'_>]) {
    for b in rest {
        match (b.method.as_str(), &b.args[..]) {
            ("rename_to", [_]) | ("reviewed", _) => {}
            // Nullability changes only with `nullable`; the length goes.
            ("set_type", []) => {
                facts.ty = b
                    .turbofish
                    .and_then(|t| one_type(&t.args))
                    .and_then(sql_kind)
                    .map(|(k, _)| Ty::of(k));
            }
            ("nullable", [v]) => {
                facts.nullable = match v {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Bool(b),
                        ..
                    }) => Some(b.value),
                    _ => None,
                };
            }
            ("server_default", [v]) => facts.default = sql_default(v),
            ("default_value", [v]) => {
                facts.default = default_value(v, facts.ty.map(|t| t.kind));
            }
            ("drop_default", []) => facts.default = DefaultFact::None,
            _ => *facts = Facts::UNKNOWN,
        }
    }
}

/// The table and column a column expression's `.references("t", "c")`
/// names, when it has one with literals.
fn column_reference(e: &Expr) -> Option<(&LitStr, Option<&Expr>)> {
    let (_, calls) = method_chain(e);
    let r = calls.iter().find(|c| c.method == "references")?;
    let parent = r.args.first().and_then(|a| lit(a))?;
    Some((parent, r.args.get(1).copied()))
}

/// A `ForeignKey::new([cols], "parent", [parent_cols])...` expression.
struct TableForeignKey<'e> {
    columns: Option<&'e Expr>,
    parent: &'e LitStr,
    parent_columns: Option<&'e Expr>,
    /// Its `.name("...")`.
    name: Option<&'e LitStr>,
}

fn table_foreign_key(e: &Expr) -> Option<TableForeignKey<'_>> {
    let (root, calls) = method_chain(e);
    let Expr::Call(c) = root else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    let segs: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if !segs.ends_with(&["ForeignKey".to_owned(), "new".to_owned()]) || c.args.len() != 3 {
        return None;
    }
    Some(TableForeignKey {
        columns: c.args.first(),
        parent: lit(&c.args[1])?,
        parent_columns: c.args.get(2),
        name: calls
            .iter()
            .rev()
            .find(|c| c.method == "name")
            .and_then(|c| c.args.first().and_then(|a| lit(a))),
    })
}

/// Whether `tokens` use the identifier `name` anywhere.
fn mentions(tokens: proc_macro2::TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => mentions(g.stream(), name),
        _ => false,
    })
}

/// The closest of `names` to `wrong`, when it is close enough to be the
/// one meant (a typo: an edit or two).
fn closest<'a>(wrong: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(1);
    names
        .map(|n| (distance(wrong, n), n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Edits from `a` to `b`, by characters, where swapping two neighbours is
/// one edit (the typo `usres` is one from `users`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

fn suggestion(found: Option<&str>) -> String {
    found.map_or(String::new(), |n| format!(" (did you mean `{n}`?)"))
}

impl<'l> Folder<'_, 'l> {
    fn report(&mut self, at: &LitStr, message: String) {
        if let Some(index) = self.lits.iter().position(|l| std::ptr::eq(*l, at)) {
            self.out.push(Diagnostic {
                index,
                value: at.value(),
                message,
            });
        }
    }

    fn function(&mut self, f: &'l syn::ItemFn) {
        let op = match f.sig.inputs.first() {
            Some(syn::FnArg::Typed(t)) => match &*t.pat {
                syn::Pat::Ident(i) => i.ident.to_string(),
                _ => {
                    self.model.forget_all();
                    return;
                }
            },
            _ => {
                self.model.forget_all();
                return;
            }
        };
        for stmt in &f.block.stmts {
            let understood = match stmt {
                Stmt::Expr(e, _) => self.statement(&op, e),
                // A macro defined in the body may use `op` unnamed at its call.
                Stmt::Item(syn::Item::Macro(_)) => false,
                Stmt::Item(_) => true,
                other => !mentions(quote::ToTokens::to_token_stream(other), &op),
            };
            if !understood {
                self.model.forget_all();
            }
        }
    }

    /// One expression statement; false when it does something with `op`
    /// that is not understood.
    fn statement(&mut self, op: &str, e: &'l Expr) -> bool {
        // `#[cfg(..)]` on a statement: which one is compiled is not known here.
        if let Expr::MethodCall(m) = e {
            if !m.attrs.is_empty() {
                return false;
            }
        }
        let (root, calls) = method_chain(e);
        let is_op = matches!(root, Expr::Path(p) if p.path.is_ident(op));
        if !is_op || calls.is_empty() {
            return !mentions(quote::ToTokens::to_token_stream(e), op);
        }
        // Arguments that use `op` (a closure handed to `run`) are read by
        // the operation's own rule below, which gives up on them.
        self.operation(&calls[0], &calls[1..])
    }

    /// Looks a table up: `None` when it is unknown (reported when the model
    /// knows every table), else whether its columns are known.
    fn existing(&mut self, name: &LitStr) -> Option<bool> {
        let n = name.value();
        if let Some(t) = self.model.table(&n) {
            return Some(t.exact);
        }
        if self.model.complete {
            let near = closest(&n, self.model.tables.keys().map(|k| &**k)).map(str::to_owned);
            self.report(
                name,
                format!(
                    "no table `{n}` at this point of the chain{}",
                    suggestion(near.as_deref())
                ),
            );
        }
        None
    }

    /// Checks that `column` is a column of the exact table `table`.
    fn has_column(&mut self, table: &str, column: &LitStr) -> bool {
        let c = column.value();
        let Some(t) = self.model.table(table) else {
            return false;
        };
        if !t.exact || t.column(&c).is_some() {
            return true;
        }
        let near = closest(&c, t.columns.iter().map(String::as_str)).map(str::to_owned);
        self.report(
            column,
            format!(
                "no column `{c}` in table `{table}` at this point of the chain{}",
                suggestion(near.as_deref())
            ),
        );
        false
    }

    /// Checks every column of a literal list; a list that is not all
    /// literals makes the table's columns unknown. Returns the names.
    fn has_columns(&mut self, table: &str, list: Option<&&Expr>) -> Option<Vec<String>> {
        // A single literal (the column of `.references("t", "c")`) is a list of one.
        let cols = list.and_then(|e| lit_list(e).or_else(|| lit(e).map(|l| vec![l])));
        match cols {
            Some(cols) => {
                for c in &cols {
                    self.has_column(table, c);
                }
                Some(cols.iter().map(|c| c.value()).collect())
            }
            None => {
                self.model.blur(table);
                None
            }
        }
    }

    /// The exact table `table` is there: `Some(name as stored)`.
    fn exact(&mut self, table: &LitStr) -> Option<String> {
        (self.existing(table) == Some(true)).then(|| {
            self.model
                .key(&table.value())
                .map_or_else(|| table.value(), |k| k.to_string())
        })
    }

    fn operation(&mut self, first: &Call<'l>, rest: &[Call<'l>]) -> bool {
        let arg = |i: usize| first.args.get(i).copied();
        let table_arg = |i: usize| arg(i).and_then(lit);
        let builder = |name: &str| rest.iter().any(|c| c.method == name);
        match first.method.as_str() {
            "create_table" => {
                let Some(name) = table_arg(0) else {
                    self.model.forget_all();
                    return true;
                };
                self.create_table(name, rest);
            }
            "drop_table" | "drop_table_if_exists" => {
                let Some(name) = table_arg(0) else {
                    self.model.forget_all();
                    return true;
                };
                if self.model.remove(&name.value()).is_none() && first.method == "drop_table" {
                    self.existing(name);
                }
            }
            "rename_table" => {
                let (Some(from), Some(to)) = (table_arg(0), table_arg(1)) else {
                    self.model.forget_all();
                    return true;
                };
                // Renaming to another case of its own name is a rename;
                // to its own name, or another table's, is not.
                if self.model.tables.contains_key(to.value().as_str())
                    && (to.value() == from.value()
                        || !to.value().eq_ignore_ascii_case(&from.value()))
                {
                    self.report(
                        to,
                        format!(
                            "table `{}` already exists at this point of the chain",
                            to.value()
                        ),
                    );
                    return true;
                }
                let moved = match self.model.remove(&from.value()) {
                    Some(t) => t,
                    None => {
                        self.existing(from);
                        Rc::new(Table::new(false))
                    }
                };
                self.model.insert(Rc::from(to.value()), moved);
            }
            "add_column" | "add_column_if_not_exists" => {
                let Some(table) = table_arg(0) else {
                    self.model.blur_all();
                    return true;
                };
                let Some(t) = self.exact(table) else {
                    return true;
                };
                match arg(1).and_then(column_name) {
                    Some(c) => {
                        let exists = self
                            .model
                            .table(&t)
                            .is_some_and(|x| x.columns.contains(&c.value()));
                        if exists {
                            if first.method == "add_column" {
                                self.report(
                                    c,
                                    format!("column `{}` already exists in table `{t}`", c.value()),
                                );
                            }
                        } else if let Some(tbl) = self.model.table_mut(&t) {
                            let facts = arg(1).map_or(Facts::UNKNOWN, column_facts);
                            tbl.push_column(c.value(), facts);
                        }
                        if let Some(r) = arg(1).and_then(column_reference) {
                            self.reference(r);
                        }
                    }
                    None => self.model.blur(&t),
                }
            }
            "drop_column" | "drop_column_if_exists" => {
                let Some(table) = table_arg(0) else {
                    self.model.blur_all();
                    return true;
                };
                let Some(t) = self.exact(table) else {
                    return true;
                };
                match table_arg(1) {
                    Some(c) => {
                        let known = self
                            .model
                            .table(&t)
                            .is_some_and(|x| x.column(&c.value()).is_some());
                        if known {
                            if let Some(tbl) = self.model.table_mut(&t) {
                                tbl.drop_column(&c.value());
                            }
                        } else if first.method == "drop_column" {
                            self.has_column(&t, c);
                        }
                    }
                    None => self.model.blur(&t),
                }
            }
            "alter_column" => {
                let Some(table) = table_arg(0) else {
                    self.model.blur_all();
                    return true;
                };
                let Some(t) = self.exact(table) else {
                    return true;
                };
                let Some(c) = table_arg(1) else {
                    self.model.blur(&t);
                    return true;
                };
                if !self.has_column(&t, c) {
                    return true;
                }
                if let Some(f) = self
                    .model
                    .table_mut(&t)
                    .and_then(|x| x.facts_mut(&c.value()))
                {
                    alter_facts(f, rest);
                }
                // The runtime keeps the last `rename_to` of the chain.
                let Some(b) = rest.iter().rev().find(|b| b.method == "rename_to") else {
                    return true;
                };
                match b.args.first().and_then(|e| lit(e)) {
                    Some(new) => {
                        let taken = self
                            .model
                            .table(&t)
                            .is_some_and(|x| x.columns.contains(&new.value()));
                        if taken && !new.value().eq_ignore_ascii_case(&c.value()) {
                            self.report(
                                new,
                                format!("column `{}` already exists in table `{t}`", new.value()),
                            );
                        } else if let Some(tbl) = self.model.table_mut(&t) {
                            tbl.rename_column(&c.value(), &new.value());
                        }
                    }
                    None => self.model.blur(&t),
                }
            }
            "create_index" => {
                let Some(table) = table_arg(1) else {
                    self.model.blur_all();
                    return true;
                };
                let Some(t) = self.exact(table) else {
                    return true;
                };
                let cols = self.has_columns(&t, first.args.get(2));
                match (table_arg(0), cols) {
                    (Some(name), Some(cols)) => {
                        let exists = self
                            .model
                            .table(&t)
                            .is_some_and(|x| x.indexes.contains_key(&name.value()));
                        if exists && !builder("if_not_exists") {
                            self.report(
                                name,
                                format!("index `{}` already exists on table `{t}`", name.value()),
                            );
                        } else if let Some(tbl) = self.model.table_mut(&t) {
                            tbl.indexes.insert(name.value(), cols);
                        }
                    }
                    _ => self.model.blur(&t),
                }
            }
            "drop_index" | "drop_index_if_exists" => {
                // PostgreSQL and SQLite drop an index by its name alone, so
                // the table is not checked; databases make indexes of their
                // own (for unique and primary keys, for foreign keys on
                // MySQL) that a migration may drop by name, so neither is
                // the name.
                let (Some(name), Some(table)) = (table_arg(0), table_arg(1)) else {
                    self.model.blur_all();
                    return true;
                };
                let removed = self
                    .model
                    .table_mut(&table.value())
                    .is_some_and(|t| t.indexes.remove(&name.value()).is_some());
                if !removed {
                    // By its name alone, it may have been another table's.
                    let holders: Vec<Rc<str>> = self
                        .model
                        .tables
                        .iter()
                        .filter(|(_, t)| t.indexes.contains_key(&name.value()))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in &holders {
                        if let Some(t) = self.model.table_mut(k) {
                            t.indexes.remove(&name.value());
                        }
                    }
                    if holders.is_empty() {
                        if let Some(t) = self.model.table_mut(&table.value()) {
                            t.indexes_exact = false;
                        }
                    }
                }
            }
            "bulk_insert" => {
                if let Some(t) = table_arg(0).and_then(|t| self.exact(t)) {
                    self.has_columns(&t, first.args.get(1));
                }
            }
            "create_unique_constraint" | "create_primary_key" => {
                let Some(table) = table_arg(1) else {
                    self.model.blur_all();
                    return true;
                };
                if let Some(t) = self.exact(table) {
                    let cols = self.has_columns(&t, first.args.get(2));
                    if first.method == "create_primary_key" {
                        self.keyed(&t, cols.as_deref());
                    }
                    self.name_constraint(&t, table_arg(0), cols);
                }
            }
            "create_foreign_key" => {
                let (Some(table), Some(parent)) = (table_arg(1), table_arg(2)) else {
                    self.model.blur_all();
                    return true;
                };
                if let Some(t) = self.exact(table) {
                    let cols = self.has_columns(&t, first.args.get(3));
                    self.name_constraint(&t, table_arg(0), cols);
                }
                if let Some(p) = self.exact(parent) {
                    self.has_columns(&p, first.args.get(4));
                }
            }
            "create_check_constraint" => {
                let Some(table) = table_arg(1) else {
                    self.model.blur_all();
                    return true;
                };
                if let Some(t) = self.exact(table) {
                    self.name_constraint(&t, table_arg(0), None);
                }
            }
            "drop_constraint" => {
                let (Some(name), Some(table)) = (table_arg(0), table_arg(1)) else {
                    self.model.blur_all();
                    return true;
                };
                if self.existing(table).is_some() {
                    // A primary key dropped (or a constraint of a kind not
                    // written out): which columns were in it is not known.
                    let maybe_key = !matches!(
                        arg(2),
                        Some(Expr::Path(p)) if p.path.segments.last().is_some_and(|s| {
                            matches!(s.ident.to_string().as_str(), "Unique" | "ForeignKey" | "Check")
                        })
                    );
                    if let Some(tbl) = self.model.table_mut(&table.value()) {
                        tbl.constraints.remove(&name.value());
                        if maybe_key {
                            for f in &mut tbl.facts {
                                f.key = None;
                            }
                        }
                    }
                }
            }
            "batch_alter_table" => {
                let (Some(table_expr), Some(table)) = (arg(0), table_arg(0)) else {
                    self.model.forget_all();
                    return true;
                };
                if self.existing(table).is_none() {
                    // Reported once, at the table: its operations are not
                    // followed, and any raw SQL among them could touch anything.
                    self.model.forget_all();
                    return true;
                }
                // The closure's statements, as the `Op` operations they are
                // on this table; anything else in it may touch any table.
                return self.batch(table_expr, arg(1));
            }
            // SQL that only reads or writes rows (the backfill of a data
            // migration) changes no table; any other may change any.
            "execute" | "execute_per_dialect" => {
                return [first].into_iter().chain(rest).all(|c| {
                    c.args.iter().all(|a| {
                        lit(a).is_some_and(|l| migrate_core::changes_rows_only(&l.value()))
                    })
                });
            }
            // Marks the operation before it as reviewed for the linter; it
            // returns the `Op`, so what is chained after it is an operation.
            "reviewed" => {
                if let Some((next, more)) = rest.split_first() {
                    return self.operation(next, more);
                }
            }
            // Data steps and anything new: any table may have changed.
            _ => return false,
        }
        true
    }

    /// The statements of `batch_alter_table`'s closure `|b| { b.op(..); }`,
    /// each read as the `Op` operation of the same name with the table put
    /// where `Op` takes it. False when one is not understood.
    fn batch(&mut self, table: &'l Expr, closure: Option<&'l Expr>) -> bool {
        let Some(Expr::Closure(c)) = closure else {
            return false;
        };
        let [syn::Pat::Ident(b)] = c.inputs.iter().collect::<Vec<_>>()[..] else {
            return false;
        };
        let b = b.ident.to_string();
        let stmts: Vec<&Expr> = match &*c.body {
            Expr::Block(block) => {
                let mut v = Vec::new();
                for st in &block.block.stmts {
                    match st {
                        Stmt::Expr(e, _) => v.push(e),
                        _ => return false,
                    }
                }
                v
            }
            e => vec![e],
        };
        for e in stmts {
            if let Expr::MethodCall(m) = e {
                if !m.attrs.is_empty() {
                    return false;
                }
            }
            let (root, calls) = method_chain(e);
            if !matches!(root, Expr::Path(p) if p.path.is_ident(&b)) || calls.is_empty() {
                return false;
            }
            let first = &calls[0];
            // Where `Op`'s form of the call takes the table.
            let at = match first.method.as_str() {
                "add_column"
                | "add_column_if_not_exists"
                | "drop_column"
                | "drop_column_if_exists"
                | "alter_column"
                | "bulk_insert" => Some(0),
                "create_index"
                | "drop_index"
                | "drop_index_if_exists"
                | "create_unique_constraint"
                | "create_foreign_key"
                | "create_check_constraint"
                | "create_primary_key"
                | "drop_constraint" => Some(1),
                "execute" | "execute_per_dialect" => None,
                _ => return false,
            };
            let mut args = first.args.clone();
            if let Some(at) = at {
                if args.len() < at {
                    return false;
                }
                args.insert(at, table);
            }
            let call = Call {
                method: first.method.clone(),
                turbofish: first.turbofish,
                args,
            };
            if !self.operation(&call, &calls[1..]) {
                return false;
            }
        }
        true
    }

    fn create_table(&mut self, name: &'l LitStr, rest: &[Call<'l>]) {
        let n = name.value();
        let if_not_exists = rest.iter().any(|c| c.method == "if_not_exists");
        if self.model.tables.contains_key(n.as_str()) {
            if !if_not_exists {
                self.report(
                    name,
                    format!("table `{n}` already exists at this point of the chain"),
                );
            }
            return;
        }
        if if_not_exists && (!self.model.complete || self.model.key(&n).is_some()) {
            // It may be there already, as it was made: its columns are not
            // these for sure.
            if self.model.key(&n).is_none() {
                self.model
                    .insert(Rc::from(n.as_str()), Rc::new(Table::new(false)));
            }
            return;
        }
        let mut table = Table::new(true);
        let mut keyed = Vec::new();
        let mut names = Vec::new();
        let mut refs = Vec::new();
        for c in rest {
            match c.method.as_str() {
                "column" => match c.args.first().and_then(|e| column_name(e)) {
                    Some(col) => {
                        if let Some(r) = c.args.first().and_then(|e| column_reference(e)) {
                            refs.push(r);
                        }
                        if table.columns.contains(&col.value()) {
                            self.report(
                                col,
                                format!(
                                    "column `{}` is declared twice in table `{n}`",
                                    col.value()
                                ),
                            );
                        } else {
                            let facts = c.args.first().map_or(Facts::UNKNOWN, |e| column_facts(e));
                            table.push_column(col.value(), facts);
                        }
                    }
                    None => table.exact = false,
                },
                "primary_key" => keyed.push((None, c.args.first().copied(), true)),
                // `.unique(name, [columns])`.
                "unique" => keyed.push((
                    c.args.first().and_then(|e| lit(e)),
                    c.args.get(1).copied(),
                    false,
                )),
                "check" => names.push(c.args.first().and_then(|e| lit(e))),
                "foreign_key" => {
                    // A foreign key that is not all literals changes no column:
                    // there is only nothing to check.
                    if let Some(fk) = c.args.first().and_then(|e| table_foreign_key(e)) {
                        keyed.push((fk.name, fk.columns, false));
                        refs.push((fk.parent, fk.parent_columns));
                    }
                }
                "if_not_exists" => {}
                _ => table.exact = false,
            }
        }
        if !table.exact {
            table.indexes_exact = false;
            self.model.losses += 1;
        }
        self.model.insert(Rc::from(n.as_str()), Rc::new(table));
        for (constraint, list, primary) in keyed {
            let cols = self.has_columns(&n, list.as_ref());
            if primary {
                self.keyed(&n, cols.as_deref());
            }
            self.name_constraint(&n, constraint, cols);
        }
        for constraint in names {
            self.name_constraint(&n, constraint, None);
        }
        // After the table is in: a key to itself is checked against it.
        for r in refs {
            self.reference(r);
        }
    }

    /// The columns of a primary key: a nullable one may become NOT NULL
    /// (PostgreSQL and MySQL make it so, SQLite does not), so whether it
    /// is becomes unknown. Unknown columns make every column's so.
    fn keyed(&mut self, table: &str, columns: Option<&[String]>) {
        let Some(t) = self.model.table_mut(table) else {
            return;
        };
        for (i, f) in t.facts.iter_mut().enumerate() {
            let listed = columns
                .is_none_or(|cols| cols.iter().any(|c| c.eq_ignore_ascii_case(&t.columns[i])));
            if listed && f.nullable == Some(true) {
                f.nullable = None;
            }
            if listed {
                // Unknown columns: any of them may be the key.
                f.key = if columns.is_some() { Some(true) } else { None };
            }
        }
    }

    /// A foreign key to `parent`'s `columns`: checked now when the parent
    /// is there (a later rename must not make it look wrong), else at the
    /// end of the function.
    fn reference(&mut self, (parent, columns): (&'l LitStr, Option<&'l Expr>)) {
        if self.model.table(&parent.value()).is_some() {
            if let Some(p) = self.exact(parent) {
                self.has_columns(&p, columns.as_ref());
            }
        } else {
            self.references.push((parent, columns));
        }
    }

    /// A constraint named `name` on the exact table `table`: reported when
    /// it is there already, else recorded with its columns.
    fn name_constraint(
        &mut self,
        table: &str,
        name: Option<&LitStr>,
        columns: Option<Vec<String>>,
    ) {
        let Some(name) = name else { return };
        let Some(t) = self.model.table(table) else {
            return;
        };
        if !t.exact {
            return;
        }
        if t.constraints.contains_key(&name.value()) {
            self.report(
                name,
                format!(
                    "constraint `{}` already exists on table `{table}`",
                    name.value()
                ),
            );
        } else if let Some(t) = self.model.table_mut(table) {
            t.constraints.insert(name.value(), columns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(body: &str) -> syn::ItemFn {
        syn::parse_str(&format!(
            "fn upgrade(op: &mut Op) -> Result<()> {{ {body} Ok(()) }}"
        ))
        .unwrap()
    }

    /// The messages, each with the literal it is at.
    fn errors(model: &mut Model, body: &str) -> Vec<(String, String)> {
        fold(model, &f(body))
            .into_iter()
            .map(|d| (d.value, d.message))
            .collect()
    }

    fn users() -> Model {
        let mut m = Model::default();
        let e = errors(
            &mut m,
            r#"op.create_table("users")
                .column(col::<Integer>("id").primary_key())
                .column(col::<Text>("email"))
                .column(col::<Nullable<Text>>("name"));
               op.create_index("ix_users_email", "users", ["email"]).unique();"#,
        );
        assert!(e.is_empty(), "{e:?}");
        m
    }

    #[test]
    fn names_that_are_not_there_are_reported_at_their_literal() {
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.drop_column("usres", "email");
               op.drop_column("users", "emial");
               op.add_column("users", col::<Text>("email"));
               op.alter_column("users", "name").rename_to("email");
               op.create_index("ix2", "users", ["nmae"]);
               op.create_index("ix_users_email", "users", ["email"]);
               op.create_table("users").column(col::<Integer>("id"));
               op.bulk_insert("users", ["id", "emali"], vec![]);
               op.rename_table("users", "users");
               op.drop_table("posts");"#,
        );
        let at: Vec<&str> = e.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(
            at,
            [
                "usres",
                "emial",
                "email",
                "email",
                "nmae",
                "ix_users_email",
                "users",
                "emali",
                "users",
                "posts"
            ],
            "{e:?}"
        );
        assert!(e[0].1.contains("did you mean `users`?"), "{}", e[0].1);
        assert!(
            e[1].1.contains("no column `emial` in table `users`"),
            "{}",
            e[1].1
        );
        assert!(e[1].1.contains("did you mean `email`?"), "{}", e[1].1);
        assert!(!e[9].1.contains("did you mean"), "{}", e[9].1);
    }

    #[test]
    fn what_is_not_understood_is_never_checked() {
        for unknown in [
            r#"op.execute("ALTER TABLE users RENAME TO people");"#,
            r#"op.execute("UPDATE users SET email = 'x'; DROP TABLE users");"#,
            r#"op.execute_per_dialect().sqlite("DELETE FROM users").postgres("TRUNCATE users");"#,
            r#"op.execute(SQL);"#,
            r#"op.run("x", |conn| Ok(()));"#,
            r#"let t = "users"; op.drop_table(t);"#,
            r#"for t in ["a"] { op.drop_table(t); }"#,
            r#"helper(op);"#,
            r#"op.something_new("users");"#,
        ] {
            let mut m = users();
            let e = errors(
                &mut m,
                &format!(r#"{unknown} op.drop_column("people", "x"); op.drop_table("users");"#),
            );
            assert!(e.is_empty(), "{unknown}: {e:?}");
            // A literal create_table defines its table again.
            let e = errors(
                &mut m,
                r#"op.create_table("fresh").column(col::<Integer>("id")); op.drop_column("fresh", "nope");"#,
            );
            assert_eq!(e.len(), 1, "{unknown}: {e:?}");
        }
        // A column name computed at run time: that table's columns are unknown.
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.add_column("users", col::<Text>(NAME)); op.drop_column("users", "x"); op.drop_table("nope");"#,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "nope");
        // Raw SQL in a create_table's builder calls leaves the table unknown.
        let mut m = Model::default();
        let e = errors(
            &mut m,
            r#"op.create_table("t").column(col::<Integer>("id")).something("x"); op.drop_column("t", "y");"#,
        );
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn if_exists_forms_are_quiet_and_renames_move_names() {
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.drop_table_if_exists("nope");
               op.drop_column_if_exists("users", "nope");
               op.add_column_if_not_exists("users", col::<Text>("email"));
               op.create_table("users").if_not_exists().column(col::<Integer>("id"));
               op.create_index("ix_users_email", "users", ["email"]).if_not_exists();
               op.rename_table("users", "people");
               op.alter_column("people", "name").rename_to("full_name");
               op.drop_column("people", "full_name");"#,
        );
        assert!(e.is_empty(), "{e:?}");
        let e = errors(&mut m, r#"op.drop_table("users");"#);
        assert_eq!(e.len(), 1, "{e:?}");
    }

    #[test]
    fn a_downgrade_that_does_not_undo_its_upgrade_is_named() {
        let before = users();
        let mut after = before.clone();
        fold(
            &mut after,
            &f(
                r#"op.add_column("users", col::<Text>("phone")); op.create_table("posts").column(col::<Integer>("id"));"#,
            ),
        );
        fold(
            &mut after,
            &f(r#"op.drop_table("posts"); op.drop_column("users", "name");"#),
        );
        assert!(!after.lost_since(&before));
        assert_eq!(
            after.undo_differences(&before),
            [
                "leaves column users.phone",
                "does not restore column users.name"
            ]
        );
        let mut exact = before.clone();
        fold(&mut exact, &f(r#"op.drop_column("users", "name");"#));
        fold(
            &mut exact,
            &f(r#"op.add_column("users", col::<Nullable<Text>>("name"));"#),
        );
        assert!(exact.undo_differences(&before).is_empty());
        // Raw SQL in the downgrade: nothing can be said.
        let mut raw = before.clone();
        fold(&mut raw, &f(r#"op.drop_column("users", "name");"#));
        fold(
            &mut raw,
            &f(r#"op.execute("ALTER TABLE users ADD name TEXT");"#),
        );
        assert!(raw.lost_since(&before));
    }

    /// The model after `up` then `down` on `users()`, against the model before.
    fn undone(up: &str, down: &str) -> Vec<String> {
        let before = users();
        let mut after = before.clone();
        let e = errors(&mut after, up);
        assert!(e.is_empty(), "{e:?}");
        let e = errors(&mut after, down);
        assert!(e.is_empty(), "{e:?}");
        assert!(!after.lost_since(&before), "{up} / {down}");
        after.undo_differences(&before)
    }

    #[test]
    fn a_downgrade_that_restores_a_column_otherwise_is_named() {
        // The type, the nullability, the default.
        let cases: &[(&str, &str, &[&str])] = &[
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Integer>("name").nullable());"#,
                &["does not restore the type of column users.name (Text, not Integer)"],
            ),
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Text>("name"));"#,
                &["does not restore column users.name as nullable"],
            ),
            (
                r#"op.alter_column("users", "name").nullable(false);"#,
                r#"op.alter_column("users", "name").nullable(false);"#,
                &["does not restore column users.name as nullable"],
            ),
            (
                r#"op.alter_column("users", "email").set_type::<Varchar>();"#,
                r#"op.alter_column("users", "email").set_type::<BigInt>();"#,
                &["does not restore the type of column users.email (Text, not BigInt)"],
            ),
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Nullable<Text>>("name").length(100));"#,
                &["does not restore the type of column users.name (Text, not Text(100))"],
            ),
            (
                r#"op.alter_column("users", "email").server_default("'x'");"#,
                r#""#,
                &["leaves a default on column users.email"],
            ),
            (
                r#"op.add_column("users", col::<Integer>("n").default(5)); op.alter_column("users", "n").default_value(6);"#,
                r#"op.drop_column("users", "n");"#,
                &[],
            ),
        ];
        for (up, down, expected) in cases {
            assert_eq!(undone(up, down), *expected, "{up} / {down}");
        }
        let before = users();
        let mut with_n = before.clone();
        errors(
            &mut with_n,
            r#"op.add_column("users", col::<Integer>("n").default(5));"#,
        );
        let mut after = with_n.clone();
        errors(
            &mut after,
            r#"op.alter_column("users", "n").drop_default();"#,
        );
        errors(
            &mut after,
            r#"op.alter_column("users", "n").default_value(6);"#,
        );
        assert_eq!(
            after.undo_differences(&with_n),
            ["does not restore the default of column users.n (5, not 6)"]
        );
        let mut after = with_n.clone();
        errors(
            &mut after,
            r#"op.alter_column("users", "n").drop_default();"#,
        );
        assert_eq!(
            after.undo_differences(&with_n),
            ["does not restore the default of column users.n"]
        );
        // A renamed column keeps what it was.
        assert_eq!(
            undone(
                r#"op.alter_column("users", "email").rename_to("mail").nullable(true);"#,
                r#"op.alter_column("users", "mail").rename_to("email");"#
            ),
            ["does not restore column users.email as NOT NULL"]
        );
    }

    /// The check after `start_migration` looks at the tables changed since
    /// only, and finds there what a comparison of every table finds: a
    /// table only the downgrade touched included.
    #[test]
    fn the_check_of_one_migration_compares_the_tables_it_changed() {
        let mut m = users();
        errors(
            &mut m,
            r#"op.create_table("posts").column(col::<Integer>("id"));
               op.create_table("tags").column(col::<Integer>("id"));"#,
        );
        m.start_migration();
        let before = m.clone();
        let mut after = m.clone();
        errors(
            &mut after,
            r#"op.add_column("posts", col::<Nullable<Text>>("title"));"#,
        );
        assert_eq!(after.touched.len(), 1, "{:?}", after.touched);
        errors(
            &mut after,
            r#"op.drop_column("posts", "title");
               op.add_column("tags", col::<Nullable<Text>>("label"));
               op.drop_table("users");
               op.create_table("extra").column(col::<Integer>("id"));"#,
        );
        assert_eq!(
            after.undo_differences(&before),
            [
                "leaves table extra",
                "leaves column tags.label",
                "does not restore table users"
            ]
        );
    }

    #[test]
    fn a_downgrade_that_restores_a_key_otherwise_is_named() {
        let mut m = Model::default();
        errors(
            &mut m,
            r#"op.create_table("t")
                .column(col::<Integer>("id").primary_key().autoincrement())
                .column(col::<Integer>("n"));
               op.create_table("pair")
                .column(col::<Integer>("a"))
                .column(col::<Integer>("b"))
                .primary_key(["a", "b"]);"#,
        );
        let undone = |up: &str, down: &str| {
            let mut after = m.clone();
            assert!(errors(&mut after, up).is_empty(), "{up}");
            assert!(errors(&mut after, down).is_empty(), "{down}");
            after.undo_differences(&m)
        };
        assert_eq!(
            undone(
                r#"op.drop_table("t");"#,
                r#"op.create_table("t").column(col::<Integer>("id").primary_key()).column(col::<Integer>("n"));"#
            ),
            ["does not restore column t.id as autoincrement"]
        );
        assert_eq!(
            undone(
                r#"op.drop_table("t");"#,
                r#"op.create_table("t").column(col::<Integer>("id").autoincrement()).column(col::<Integer>("n").primary_key());"#
            ),
            [
                "does not restore column t.id in the primary key",
                "leaves column t.n in the primary key"
            ]
        );
        // The same key, declared the other way; a key dropped and made again
        // (which columns a dropped one held is not known: not compared).
        for (up, down) in [
            (
                r#"op.drop_table("pair");"#,
                r#"op.create_table("pair").column(col::<Integer>("a").primary_key()).column(col::<Integer>("b").primary_key());"#,
            ),
            (
                r#"op.drop_constraint("pair_pkey", "pair", ConstraintKind::PrimaryKey);"#,
                r#"op.create_primary_key("pair_pkey", "pair", ["a"]);"#,
            ),
        ] {
            assert_eq!(undone(up, down), Vec::<String>::new(), "{up} / {down}");
        }
    }

    #[test]
    fn what_a_downgrade_restores_the_same_way_spelled_otherwise_is_no_difference() {
        for (up, down) in [
            // Aliases of one type; `Nullable<T>` and `.nullable()`.
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Nullable<diesel::sql_types::VarChar>>("name"));"#,
            ),
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Text>("name").nullable());"#,
            ),
            (
                r#"op.drop_column("users", "id");"#,
                r#"op.add_column("users", col::<Int4>("id").primary_key());"#,
            ),
            // One value written two ways.
            (
                r#"op.add_column("users", col::<Integer>("n").default(5));"#,
                r#"op.drop_column("users", "n");"#,
            ),
            (
                r#"op.alter_column("users", "email").default_value("x");"#,
                r#"op.alter_column("users", "email").drop_default();"#,
            ),
            (
                r#"op.alter_column("users", "name").nullable(false);"#,
                r#"op.alter_column("users", "name").nullable(true);"#,
            ),
            // What the model does not know is not compared: a type it does
            // not know, a computed value, a type set whole, a builder of
            // its own.
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<MyText>("name"));"#,
            ),
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Text>("name").nullable().default(DEFAULT));"#,
            ),
            (
                r#"op.alter_column("users", "email").set_column_type(ColumnType::of(ColumnKind::Integer));"#,
                r#""#,
            ),
            (
                r#"op.alter_column("users", "email").nullable(NULLABLE);"#,
                r#""#,
            ),
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Text>("name").collate("C"));"#,
            ),
        ] {
            assert_eq!(undone(up, down), Vec::<String>::new(), "{up} / {down}");
        }
        // What renders the same whatever it says: a length on an integer, a
        // precision on text; a length on binary differs on MySQL alone.
        for (up, down) in [
            (
                r#"op.drop_column("users", "id");"#,
                r#"op.add_column("users", col::<Integer>("id").length(10).primary_key());"#,
            ),
            (
                r#"op.drop_column("users", "name");"#,
                r#"op.add_column("users", col::<Nullable<Text>>("name").precision(5, 2));"#,
            ),
            (
                r#"op.add_column("users", col::<Binary>("b").length(16));"#,
                r#"op.drop_column("users", "b");"#,
            ),
        ] {
            assert_eq!(undone(up, down), Vec::<String>::new(), "{up} / {down}");
        }
        let mut m = Model::default();
        errors(
            &mut m,
            r#"op.create_table("t")
                .column(col::<Binary>("b").length(16))
                .column(col::<Double>("d").default(1.0))
                .column(col::<Numeric>("n").default(Literal("1.50")))
                .column(col::<Bool>("f").default(true))
                .column(col::<Nullable<Text>>("s").server_default("NULL"))
                .column(col::<Nullable<Integer>>("k").primary_key().nullable());"#,
        );
        for down in [
            r#"op.alter_column("t", "b").set_type::<Binary>();"#,
            // One value another way: an integer on a float, a decimal
            // written otherwise, `1` for `true`.
            r#"op.alter_column("t", "d").default_value(1);"#,
            r#"op.alter_column("t", "n").default_value(Literal("1.5"));"#,
            r#"op.alter_column("t", "f").default_value(1);"#,
            // A NULL default is none.
            r#"op.alter_column("t", "s").drop_default();"#,
            // A key column: NOT NULL on PostgreSQL and MySQL, not on SQLite.
            r#"op.alter_column("t", "k").nullable(false);"#,
            r#"op.alter_column("t", "k").nullable(true);"#,
        ] {
            let mut after = m.clone();
            let e = errors(&mut after, down);
            assert!(e.is_empty(), "{e:?}");
            assert!(after.undo_differences(&m).is_empty(), "{down}");
        }
        // Raw SQL defaults are never compared with each other, nor with a
        // value (`'0'` may be the `0` the database stores).
        let mut m = Model::default();
        errors(
            &mut m,
            r#"op.create_table("t").column(col::<Integer>("a").server_default("1 + 1"));"#,
        );
        for down in [r#"server_default("2")"#, r#"default_value(2)"#] {
            let mut after = m.clone();
            errors(&mut after, &format!(r#"op.alter_column("t", "a").{down};"#));
            assert!(after.undo_differences(&m).is_empty(), "{down}");
        }
        // A nullable column put in a primary key may have become NOT NULL.
        let mut m = Model::default();
        errors(
            &mut m,
            r#"op.create_table("t").column(col::<Nullable<Integer>>("a")).primary_key(["a"]);"#,
        );
        let mut after = m.clone();
        errors(&mut after, r#"op.alter_column("t", "a").nullable(true);"#);
        assert!(after.undo_differences(&m).is_empty());
        let mut after = m.clone();
        errors(&mut after, r#"op.alter_column("t", "a").nullable(false);"#);
        assert!(after.undo_differences(&m).is_empty());
    }

    #[test]
    fn sql_that_only_changes_rows_keeps_the_schema_known() {
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.execute("UPDATE users SET email = lower(email)");
               op.execute("  -- backfill\n INSERT INTO users (id, email) VALUES (1, 'a');");
               op.execute_per_dialect().sqlite("DELETE FROM users").mysql("DELETE FROM users");
               op.drop_column("users", "emial");"#,
        );
        assert_eq!(e.len(), 1, "{e:?}");
    }

    #[test]
    fn foreign_keys_and_constraint_names_are_checked() {
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.create_table("posts")
                .column(col::<Integer>("id").primary_key())
                .column(col::<Integer>("user_id").references("usres", "id"))
                .column(col::<Integer>("editor_id").references("users", "uid"))
                .column(col::<Integer>("parent_id"))
                .foreign_key(ForeignKey::new(["parent"], "posts", ["id"]).name("fk_parent"));
               op.create_unique_constraint("uq_email", "users", ["email"]);
               op.create_check_constraint("uq_email", "users", "email <> ''");
               op.drop_constraint("uq_email", "users", ConstraintKind::Unique);
               op.create_unique_constraint("uq_email", "users", ["email"]);"#,
        );
        let at: Vec<&str> = e.iter().map(|(v, _)| v.as_str()).collect();
        // A foreign key to a table not there yet is checked at the end of
        // the function (SQLite takes one to a table made after it).
        assert_eq!(at, ["parent", "uid", "uq_email", "usres"], "{e:?}");
        assert!(
            e[2].1.contains("constraint `uq_email` already exists"),
            "{e:?}"
        );
    }

    #[test]
    fn batch_operations_are_read_on_their_table() {
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.batch_alter_table("users", |b| {
                   b.add_column(col::<Nullable<Text>>("phone"));
                   b.drop_column("emial");
                   b.alter_column("name").rename_to("full_name");
                   b.create_index("ix_users_phone", ["phone"]);
               });
               op.drop_column("users", "full_name");
               op.drop_column("users", "name");"#,
        );
        let at: Vec<&str> = e.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(at, ["emial", "name"], "{e:?}");
        // A closure that does more than that: the table's columns are unknown.
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.batch_alter_table("users", |b| { for c in ["a"] { b.drop_column(c); } });
               op.drop_column("users", "nope");"#,
        );
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn what_the_databases_do_by_themselves_is_followed() {
        // Dropping a column drops its index; a downgrade that adds both back
        // undoes it exactly.
        let before = users();
        let mut m = before.clone();
        let e = errors(&mut m, r#"op.drop_column("users", "email");"#);
        assert!(e.is_empty(), "{e:?}");
        let e = errors(
            &mut m,
            r#"op.add_column("users", col::<Text>("email"));
               op.create_index("ix_users_email", "users", ["email"]).unique();"#,
        );
        assert!(e.is_empty(), "{e:?}");
        assert!(
            m.undo_differences(&before).is_empty(),
            "{:?}",
            m.undo_differences(&before)
        );
        // An index the database named, dropped and made again.
        let mut m = users();
        let before = m.clone();
        assert!(errors(&mut m, r#"op.drop_index("users_email_key", "users");"#).is_empty());
        assert!(errors(
            &mut m,
            r#"op.create_index("users_email_key", "users", ["email"]).unique();"#
        )
        .is_empty());
        assert!(m.undo_differences(&before).is_empty());
        // drop_index names no table on PostgreSQL and SQLite: after a rename.
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.rename_table("users", "people");
               op.drop_index("ix_users_email", "users");
               op.drop_table("people");
               op.drop_index_if_exists("ix_people", "people");"#,
        );
        assert!(e.is_empty(), "{e:?}");
        // Case: SQLite matches names in any case.
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.drop_column("USERS", "Email"); op.alter_column("users", "NAME").nullable(true);"#,
        );
        assert!(e.is_empty(), "{e:?}");
        // cfg on a statement, a macro defined in the body: not read.
        for unknown in [
            "#[cfg(feature = \"x\")]\n op.add_column(\"users\", col::<Text>(\"p\"));\n #[cfg(not(feature = \"x\"))]\n op.add_column(\"users\", col::<Text>(\"p\"));",
            "macro_rules! go { () => { op.drop_table(\"users\") }; } go!();",
        ] {
            let mut m = users();
            let e = errors(
                &mut m,
                &format!("{unknown} op.create_table(\"users\").column(col::<Integer>(\"id\"));"),
            );
            assert!(e.is_empty(), "{unknown}: {e:?}");
        }
        // A non-literal index name; if_not_exists on a table raw SQL may have made.
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.drop_index(IX, "users"); op.create_index("ix_users_email", "users", ["email"]);"#,
        );
        assert!(e.is_empty(), "{e:?}");
        let mut m = Model::default();
        let e = errors(
            &mut m,
            r#"op.execute("CREATE TABLE users (id INTEGER, email TEXT)");
               op.create_table("users").if_not_exists().column(col::<Integer>("id"));
               op.drop_column("users", "email");"#,
        );
        assert!(e.is_empty(), "{e:?}");
        // A foreign key to a table the same migration makes after it.
        let mut m = Model::default();
        let e = errors(
            &mut m,
            r#"op.create_table("posts").column(col::<Integer>("id").primary_key()).column(col::<Integer>("user_id").references("users", "id"));
               op.create_table("users").column(col::<Integer>("id").primary_key());"#,
        );
        assert!(e.is_empty(), "{e:?}");
        // `.unique(name, columns)`, dropped with its column; the last of two renames.
        let mut m = Model::default();
        let e = errors(
            &mut m,
            r#"op.create_table("m").column(col::<Integer>("a")).column(col::<Integer>("b")).unique("uq_m", ["a", "b"]);
               op.alter_column("m", "a").rename_to("x").rename_to("y");
               op.drop_column("m", "y");
               op.create_unique_constraint("uq_m", "m", ["b"]);"#,
        );
        assert!(e.is_empty(), "{e:?}");
        // A foreign key checked before a later rename; an index dropped by
        // name under its old table; a table dropped and made in another case.
        let mut m = users();
        let before = m.clone();
        let e = errors(
            &mut m,
            r#"op.create_table("posts").column(col::<Integer>("id").primary_key()).column(col::<Integer>("author_id").references("users", "id"));
               op.rename_table("users", "accounts");
               op.drop_index("ix_users_email", "users");
               op.create_index("ix_users_email", "accounts", ["email"]);"#,
        );
        assert!(e.is_empty(), "{e:?}");
        let mut undone = m.clone();
        let e = errors(
            &mut undone,
            r#"op.drop_index("ix_users_email", "accounts");
               op.rename_table("accounts", "Users");
               op.create_index("ix_users_email", "users", ["email"]);
               op.drop_table("posts");"#,
        );
        assert!(e.is_empty(), "{e:?}");
        assert!(
            undone.undo_differences(&before).is_empty(),
            "{:?}",
            undone.undo_differences(&before)
        );
        // reviewed() returns the Op: what is chained after it is an operation.
        let mut m = users();
        let e = errors(
            &mut m,
            r#"op.reviewed("old").drop_table("users"); op.create_table("users").column(col::<Integer>("id"));"#,
        );
        assert!(e.is_empty(), "{e:?}");
        // reviewed() is an annotation, not an unknown operation.
        let mut m = users();
        let before = m.clone();
        let e = errors(
            &mut m,
            r#"op.drop_column("users", "name"); op.reviewed("why"); op.drop_column("users", "nope");"#,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(!m.lost_since(&before));
    }

    #[test]
    fn typos_are_an_edit_or_two_away() {
        let names = ["users".to_owned(), "posts".to_owned()];
        assert_eq!(
            closest("usres", names.iter().map(String::as_str)),
            Some("users")
        );
        assert_eq!(closest("comments", names.iter().map(String::as_str)), None);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("usres", "users"), 1);
    }
}
