//! The two database backends behind one small, rusqlite-shaped API.
//!
//! Everything else in this crate writes its SQL once, in the dialect both
//! SQLite (≥ 3.35) and PostgreSQL (≥ 12) accept — `ON CONFLICT … DO`,
//! `RETURNING`, `CASE` instead of two-argument `MAX`, `COALESCE` — with
//! `?N` placeholders, and runs it through [`Db`]. For PostgreSQL the
//! statement is translated once and prepared once per connection:
//! placeholders become `$N`, `INSERT OR IGNORE` becomes `ON CONFLICT DO
//! NOTHING` and `group_concat` becomes `string_agg`.
//!
//! Values cross the boundary as five kinds (null, 64-bit integer, double,
//! text, bytes), which is all the schema uses: times are Unix seconds,
//! booleans are 0/1 integers, structured values are JSON text. On
//! PostgreSQL a parameter is encoded for the type the server inferred for
//! its placeholder, and a column is decoded from whatever integer, float,
//! numeric, boolean or text type the server returned, so aggregates such as
//! `SUM` (numeric in PostgreSQL) read the same as in SQLite.
//!
//! Transactions: SQLite takes the write lock at `BEGIN IMMEDIATE`;
//! PostgreSQL transactions take one transaction-scoped advisory lock, so
//! writers from several processes (two `ctem serve` on one database)
//! serialise exactly as SQLite's single writer does and a read-modify-write
//! inside a transaction can never lose another process's update. Readers
//! are never blocked on either backend.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// The advisory lock every PostgreSQL write transaction holds: class
/// "ctem", keyed by the schema, so workspaces in different schemas of one
/// database never wait for each other (advisory locks are database-wide).
pub(crate) const PG_WRITE_LOCK: &str = "1668572525, hashtext(current_schema())";
/// The lock held while a schema is migrated.
pub(crate) const PG_MIGRATION_LOCK: &str = "1668572526, hashtext(current_schema())";

/// Errors from either backend.
#[derive(Debug)]
pub enum DbError {
    Sqlite(rusqlite::Error),
    Postgres {
        /// The first line of the statement, when one was running.
        statement: Option<String>,
        source: postgres::Error,
    },
    /// A query meant to return one row returned none.
    NoRows,
    /// A query was started on a PostgreSQL connection while it was still
    /// streaming the rows of another (a callback that queried).
    Busy,
    /// A value could not be read as the type asked for.
    Conversion {
        column: usize,
        detail: String,
    },
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Sqlite(e) => write!(f, "{e}"),
            DbError::Postgres { statement, source } => {
                match source.as_db_error() {
                    Some(d) => write!(f, "{} ({})", d.message(), d.code().code())?,
                    None => write!(f, "{source}")?,
                }
                if let Some(s) = statement {
                    write!(f, " in `{s}`")?;
                }
                Ok(())
            }
            DbError::NoRows => write!(f, "query returned no rows"),
            DbError::Busy => write!(
                f,
                "the connection is still reading the rows of another query (a query inside a row callback)"
            ),
            DbError::Conversion { column, detail } => {
                write!(f, "column {column}: {detail}")
            }
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbError::Sqlite(e) => Some(e),
            DbError::Postgres { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => DbError::NoRows,
            e => DbError::Sqlite(e),
        }
    }
}

impl DbError {
    fn pg(sql: &str, source: postgres::Error) -> DbError {
        let first = sql.trim().lines().next().unwrap_or("").trim();
        let statement = if first.is_empty() {
            None
        } else {
            Some(first.chars().take(120).collect())
        };
        DbError::Postgres { statement, source }
    }

    /// A value that does not convert, e.g. JSON that does not parse.
    pub fn conversion(column: usize, detail: impl fmt::Display) -> DbError {
        DbError::Conversion {
            column,
            detail: detail.to_string(),
        }
    }

    /// True when the error is PostgreSQL's serialization failure or
    /// deadlock, i.e. retrying the transaction would succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            DbError::Postgres { source, .. } => source.code().is_some_and(|c| {
                *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            }),
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DatabaseBusy
            }
            _ => false,
        }
    }
}

pub type DbResult<T> = std::result::Result<T, DbError>;

/// `.optional()` on a single-row result, as in rusqlite.
pub trait OptionalExtension<T> {
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExtension<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

// ---------------------------------------------------------------------------
// Values

/// A parameter value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// An owned parameter value, for statements built at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Something that binds as a parameter.
pub trait ToDb {
    fn to_value(&self) -> Value<'_>;
}

macro_rules! to_db_int {
    ($($t:ty),*) => {$(
        impl ToDb for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
to_db_int!(i64, i32, i16, i8, u32, u16, u8, u64, usize, isize);

impl ToDb for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl ToDb for f64 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}
impl ToDb for f32 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(f64::from(*self))
    }
}
impl ToDb for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl ToDb for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl ToDb for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl ToDb for Vec<u8> {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl<T: ToDb> ToDb for Option<T> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}
impl<T: ToDb + ?Sized> ToDb for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}
impl ToDb for Value<'_> {
    fn to_value(&self) -> Value<'_> {
        *self
    }
}
impl ToDb for OwnedValue {
    fn to_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Null => Value::Null,
            OwnedValue::Int(i) => Value::Int(*i),
            OwnedValue::Real(r) => Value::Real(*r),
            OwnedValue::Text(s) => Value::Text(s),
            OwnedValue::Blob(b) => Value::Blob(b),
        }
    }
}

/// A statement's parameters: `[]`, `[a]`, `[a, b]` of one type, or
/// `params![a, b, …]` of mixed types, or a `Vec<OwnedValue>`.
pub trait Params {
    fn values(&self) -> Vec<Value<'_>>;
}

impl Params for [&dyn ToDb; 0] {
    fn values(&self) -> Vec<Value<'_>> {
        Vec::new()
    }
}
impl Params for &[&dyn ToDb] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl Params for Vec<OwnedValue> {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl Params for &Vec<OwnedValue> {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
macro_rules! params_array {
    ($($n:literal),*) => {$(
        impl<T: ToDb> Params for [T; $n] {
            fn values(&self) -> Vec<Value<'_>> {
                self.iter().map(|v| v.to_value()).collect()
            }
        }
    )*};
}
params_array!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);

/// Mixed-type parameters, as `rusqlite::params!`.
#[macro_export]
#[doc(hidden)]
macro_rules! db_params {
    () => { [] as [&dyn $crate::db::ToDb; 0] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::db::ToDb),+] as &[&dyn $crate::db::ToDb] };
}
pub use crate::db_params as params;

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(i),
            Value::Real(r) => ValueRef::Real(r),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl postgres::types::ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        use postgres::types::{IsNull, Type};
        let bad = |what: &str| -> Box<dyn std::error::Error + Sync + Send> {
            format!("cannot bind {what} to a parameter of type {ty}").into()
        };
        match *self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)
                    .map_err(|_| bad("an integer out of int4 range"))?
                    .to_sql(ty, out),
                Type::INT2 => i16::try_from(i)
                    .map_err(|_| bad("an integer out of int2 range"))?
                    .to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::FLOAT4 => (i as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    i.to_string().as_str().to_sql(&Type::TEXT, out)
                }
                _ => Err(bad("an integer")),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                Type::FLOAT4 => (r as f32).to_sql(ty, out),
                Type::INT8 if r.fract() == 0.0 => (r as i64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => {
                    r.to_string().as_str().to_sql(&Type::TEXT, out)
                }
                _ => Err(bad("a real number")),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    s.to_sql(&Type::TEXT, out)
                }
                Type::JSON => s.to_sql(&Type::TEXT, out),
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                Type::INT8 => s.parse::<i64>().map_err(|_| bad("text"))?.to_sql(ty, out),
                _ => Err(bad("text")),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(bad("bytes")),
            },
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

// ---------------------------------------------------------------------------
// Rows

/// A column value as read, before conversion.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Something a column converts into.
pub trait FromDb: Sized {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String>;
}

macro_rules! from_db_int {
    ($($t:ty),*) => {$(
        impl FromDb for $t {
            fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
                match c {
                    Cell::Int(i) => <$t>::try_from(i).map_err(|_| format!("{i} is out of range")),
                    Cell::Real(r) if r.fract() == 0.0 => <$t>::try_from(r as i64)
                        .map_err(|_| format!("{r} is out of range")),
                    Cell::Null => Err("unexpected NULL".into()),
                    other => Err(format!("expected an integer, found {other:?}")),
                }
            }
        }
    )*};
}
from_db_int!(i64, i32, i16, u32, u16, u8, u64, usize);

impl FromDb for bool {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Int(i) => Ok(i != 0),
            Cell::Null => Err("unexpected NULL".into()),
            other => Err(format!("expected a boolean, found {other:?}")),
        }
    }
}
impl FromDb for f64 {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Real(r) => Ok(r),
            Cell::Int(i) => Ok(i as f64),
            Cell::Null => Err("unexpected NULL".into()),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromDb for String {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Text(s) => Ok(s.to_string()),
            Cell::Null => Err("unexpected NULL".into()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromDb for Vec<u8> {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Blob(b) => Ok(b.to_vec()),
            Cell::Text(s) => Ok(s.as_bytes().to_vec()),
            Cell::Null => Err("unexpected NULL".into()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl FromDb for OwnedValue {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        Ok(match c {
            Cell::Null => OwnedValue::Null,
            Cell::Int(i) => OwnedValue::Int(i),
            Cell::Real(r) => OwnedValue::Real(r),
            Cell::Text(s) => OwnedValue::Text(s.to_string()),
            Cell::Blob(b) => OwnedValue::Blob(b.to_vec()),
        })
    }
}
impl<T: FromDb> FromDb for Option<T> {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Null => Ok(None),
            c => T::from_cell(c).map(Some),
        }
    }
}

/// A column position (only `usize`, so integer literals infer).
pub trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One result row.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

/// A raw PostgreSQL value and its type, decoded by [`Row::get`].
struct PgRaw<'a> {
    ty: postgres::types::Type,
    raw: Option<&'a [u8]>,
}

impl<'a> postgres::types::FromSql<'a> for PgRaw<'a> {
    fn from_sql(
        ty: &postgres::types::Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgRaw {
            ty: ty.clone(),
            raw: Some(raw),
        })
    }
    fn from_sql_null(
        ty: &postgres::types::Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgRaw {
            ty: ty.clone(),
            raw: None,
        })
    }
    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

fn pg_cell<'a>(ty: &postgres::types::Type, raw: &'a [u8]) -> std::result::Result<Cell<'a>, String> {
    use postgres::types::{FromSql, Type};
    let e = |e: Box<dyn std::error::Error + Sync + Send>| e.to_string();
    Ok(match *ty {
        Type::INT8 => Cell::Int(i64::from_sql(ty, raw).map_err(e)?),
        Type::INT4 => Cell::Int(i64::from(i32::from_sql(ty, raw).map_err(e)?)),
        Type::INT2 => Cell::Int(i64::from(i16::from_sql(ty, raw).map_err(e)?)),
        Type::BOOL => Cell::Int(i64::from(bool::from_sql(ty, raw).map_err(e)?)),
        Type::FLOAT8 => Cell::Real(f64::from_sql(ty, raw).map_err(e)?),
        Type::FLOAT4 => Cell::Real(f64::from(f32::from_sql(ty, raw).map_err(e)?)),
        Type::NUMERIC => numeric(raw)?,
        Type::BYTEA => Cell::Blob(raw),
        Type::JSONB => Cell::Text(
            std::str::from_utf8(raw.get(1..).unwrap_or_default()).map_err(|e| e.to_string())?,
        ),
        _ => Cell::Text(std::str::from_utf8(raw).map_err(|e| e.to_string())?),
    })
}

/// Decodes PostgreSQL's binary NUMERIC (what `SUM` and `AVG` of integers
/// return): an integer when it has no fraction, else a double.
fn numeric(raw: &[u8]) -> std::result::Result<Cell<'static>, String> {
    let word = |i: usize| -> std::result::Result<u16, String> {
        raw.get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric".to_string())
    };
    let ndigits = word(0)? as usize;
    let weight = word(2)? as i16;
    let sign = word(4)?;
    if sign == 0xC000 {
        return Ok(Cell::Real(f64::NAN));
    }
    let mut value = 0f64;
    let mut exact: Option<i128> = Some(0);
    for i in 0..ndigits {
        let d = word(8 + 2 * i)?;
        let power = i32::from(weight) - i as i32;
        value += f64::from(d) * 10000f64.powi(power);
        exact = match exact {
            Some(acc) if power >= 0 => 10000i128
                .checked_pow(power as u32)
                .and_then(|p| p.checked_mul(i128::from(d)))
                .and_then(|x| acc.checked_add(x)),
            Some(_) if d == 0 => exact,
            _ => None,
        };
    }
    let negative = sign == 0x4000;
    if let Some(x) = exact.and_then(|x| i64::try_from(x).ok()) {
        return Ok(Cell::Int(if negative { -x } else { x }));
    }
    Ok(Cell::Real(if negative { -value } else { value }))
}

impl Row<'_> {
    /// Column `idx` as `T`; the first generic is there so that code written
    /// for rusqlite (`r.get::<_, String>(0)`) reads the same.
    pub fn get<I: RowIndex, T: FromDb>(&self, idx: I) -> DbResult<T> {
        let idx = idx.index();
        let conv = |detail: String| DbError::Conversion {
            column: idx,
            detail,
        };
        match self {
            Row::Sqlite(r) => {
                use rusqlite::types::ValueRef;
                let v = r.get_ref(idx)?;
                let cell = match v {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(i) => Cell::Int(i),
                    ValueRef::Real(f) => Cell::Real(f),
                    ValueRef::Text(t) => {
                        Cell::Text(std::str::from_utf8(t).map_err(|e| conv(e.to_string()))?)
                    }
                    ValueRef::Blob(b) => Cell::Blob(b),
                };
                T::from_cell(cell).map_err(conv)
            }
            Row::Postgres(r) => {
                let raw: PgRaw<'_> = r.try_get(idx).map_err(|e| conv(e.to_string()))?;
                let cell = match raw.raw {
                    None => Cell::Null,
                    Some(bytes) => pg_cell(&raw.ty, bytes).map_err(conv)?,
                };
                T::from_cell(cell).map_err(conv)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Connections

enum Conn {
    Sqlite(rusqlite::Connection),
    // Boxed: a PostgreSQL client is three times a SQLite handle's size.
    Postgres(Box<RefCell<PgConn>>),
}

struct PgConn {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

/// Statements kept prepared per PostgreSQL connection before the cache is
/// emptied (filters build statements at run time).
const PG_STATEMENT_CACHE: usize = 512;

impl PgConn {
    fn statement(&mut self, sql: &str) -> DbResult<postgres::Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let translated = translate(sql);
        let stmt = self
            .client
            .prepare(&translated)
            .map_err(|e| DbError::pg(sql, e))?;
        if self.statements.len() >= PG_STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }
}

/// A connection to the workspace database.
pub struct Db {
    conn: Conn,
}

impl Db {
    pub fn sqlite(conn: rusqlite::Connection) -> Db {
        conn.set_prepared_statement_cache_capacity(128);
        Db {
            conn: Conn::Sqlite(conn),
        }
    }

    /// Connects to PostgreSQL (`postgres://user@host:port/db`). With
    /// `schema`, the connection works in that schema (created if missing):
    /// tests use one schema each; deployments use the default.
    pub fn postgres(url: &str, schema: Option<&str>) -> DbResult<Db> {
        let mut config: postgres::Config = url.parse().map_err(|e| DbError::pg("", e))?;
        // Keep passwords out of URLs (and so out of `ps`): the libpq
        // variable is honoured when the URL has none.
        if config.get_password().is_none()
            && let Ok(pw) = std::env::var("PGPASSWORD")
        {
            config.password(pw);
        }
        let mut client = config
            .connect(postgres::NoTls)
            .map_err(|e| DbError::pg("", e))?;
        if let Some(schema) = schema {
            let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {quoted}; SET search_path TO {quoted}"
                ))
                .map_err(|e| DbError::pg("CREATE SCHEMA", e))?;
        }
        Ok(Db {
            conn: Conn::Postgres(Box::new(RefCell::new(PgConn {
                client,
                statements: HashMap::new(),
            }))),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// True when a PostgreSQL connection was closed by the server.
    pub fn is_closed(&self) -> bool {
        match &self.conn {
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => c.try_borrow().is_ok_and(|c| c.client.is_closed()),
        }
    }

    /// Runs several statements with no parameters (DDL, pragmas).
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match &self.conn {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => c
                .try_borrow_mut()
                .map_err(|_| DbError::Busy)?
                .client
                .batch_execute(sql)
                .map_err(|e| DbError::pg(sql, e)),
        }
    }

    /// Runs one statement; returns the number of rows changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> DbResult<usize> {
        let values = params.values();
        match &self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))?)
            }
            Conn::Postgres(c) => {
                let mut pg = c.try_borrow_mut().map_err(|_| DbError::Busy)?;
                let stmt = pg.statement(sql)?;
                let args: Vec<&(dyn postgres::types::ToSql + Sync)> = values
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                let n = pg
                    .client
                    .execute(&stmt, &args)
                    .map_err(|e| DbError::pg(sql, e))?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs an `INSERT` into a table with an `id` key and returns the new
    /// row's id (`RETURNING id`, which both backends understand).
    pub fn insert<P: Params>(&self, sql: &str, params: P) -> DbResult<i64> {
        let sql = format!("{} RETURNING id", sql.trim_end().trim_end_matches(';'));
        self.query_row(&sql, params, |r| r.get(0))
    }

    /// Inserts `rows` (each `ncols` values) with `head` — `INSERT INTO t
    /// (a, b, …)` — and an optional `tail` (`ON CONFLICT …`). SQLite runs
    /// one cached statement per row (no round trips to save); PostgreSQL
    /// sends up to 1,000 rows per statement, since each statement is a
    /// network round trip.
    pub fn insert_rows(
        &self,
        head: &str,
        ncols: usize,
        rows: &[Vec<OwnedValue>],
        tail: &str,
    ) -> DbResult<()> {
        let tuple = |first: usize| -> String {
            let cols: Vec<String> = (first..first + ncols).map(|i| format!("?{i}")).collect();
            format!("({})", cols.join(", "))
        };
        match self.backend() {
            Backend::Sqlite => {
                let sql = format!("{head} VALUES {} {tail}", tuple(1));
                for r in rows {
                    self.execute(&sql, r)?;
                }
            }
            Backend::Postgres => {
                // PostgreSQL allows 65,535 parameters per statement.
                let per = (65_535 / ncols.max(1)).clamp(1, 1000);
                for chunk in rows.chunks(per) {
                    let tuples: Vec<String> =
                        (0..chunk.len()).map(|i| tuple(1 + i * ncols)).collect();
                    let sql = format!("{head} VALUES {} {tail}", tuples.join(", "));
                    let values: Vec<OwnedValue> = chunk.iter().flatten().cloned().collect();
                    self.execute(&sql, &values)?;
                }
            }
        }
        Ok(())
    }

    /// Calls `f` on every row, in order.
    pub fn query_each<P: Params, F>(&self, sql: &str, params: P, mut f: F) -> DbResult<()>
    where
        F: FnMut(&Row<'_>) -> DbResult<()>,
    {
        let values = params.values();
        match &self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                while let Some(r) = rows.next()? {
                    f(&Row::Sqlite(r))?;
                }
                Ok(())
            }
            Conn::Postgres(c) => {
                // Rows are streamed, not collected: a million decisions stay
                // out of memory. The connection is busy until the last row,
                // so `f` must not query (the store's callbacks only read the
                // row); if one does, it gets an error, not a panic.
                use postgres::fallible_iterator::FallibleIterator;
                let mut pg = c.try_borrow_mut().map_err(|_| DbError::Busy)?;
                let stmt = pg.statement(sql)?;
                let args: Vec<&(dyn postgres::types::ToSql + Sync)> = values
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                let mut rows = pg
                    .client
                    .query_raw(&stmt, args.iter().copied())
                    .map_err(|e| DbError::pg(sql, e))?;
                while let Some(r) = rows.next().map_err(|e| DbError::pg(sql, e))? {
                    f(&Row::Postgres(&r))?;
                }
                Ok(())
            }
        }
    }

    /// Maps every row; returns them as an iterator of results so that code
    /// written for rusqlite (`.collect::<DbResult<Vec<_>>>()`) reads the same.
    pub fn query_map<P: Params, T, F>(
        &self,
        sql: &str,
        params: P,
        mut f: F,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>>
    where
        F: FnMut(&Row<'_>) -> DbResult<T>,
    {
        let mut out = Vec::new();
        self.query_each(sql, params, |r| {
            out.push(f(r));
            Ok(())
        })?;
        Ok(out.into_iter())
    }

    /// The first row mapped by `f`; [`DbError::NoRows`] when there is none.
    pub fn query_row<P: Params, T, F>(&self, sql: &str, params: P, f: F) -> DbResult<T>
    where
        F: FnOnce(&Row<'_>) -> DbResult<T>,
    {
        let values = params.values();
        match &self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                match rows.next()? {
                    Some(r) => f(&Row::Sqlite(r)),
                    None => Err(DbError::NoRows),
                }
            }
            Conn::Postgres(c) => {
                let row = {
                    let mut pg = c.try_borrow_mut().map_err(|_| DbError::Busy)?;
                    let stmt = pg.statement(sql)?;
                    let args: Vec<&(dyn postgres::types::ToSql + Sync)> = values
                        .iter()
                        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                        .collect();
                    pg.client
                        .query_opt(&stmt, &args)
                        .map_err(|e| DbError::pg(sql, e))?
                };
                match row {
                    Some(r) => f(&Row::Postgres(&r)),
                    None => Err(DbError::NoRows),
                }
            }
        }
    }

    /// A statement handle, for code shaped like rusqlite's
    /// `prepare_cached(sql)?.execute(…)`; statements are cached by the
    /// connection either way.
    pub fn prepare_cached(&self, sql: &str) -> DbResult<Stmt<'_>> {
        Ok(Stmt {
            db: self,
            sql: sql.to_string(),
        })
    }

    /// Same as [`Db::prepare_cached`].
    pub fn prepare(&self, sql: &str) -> DbResult<Stmt<'_>> {
        self.prepare_cached(sql)
    }

    /// Starts a write transaction; dropping the guard rolls it back.
    pub fn transaction(&mut self) -> DbResult<Tx<'_>> {
        match &self.conn {
            Conn::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Postgres(c) => c
                .try_borrow_mut()
                .map_err(|_| DbError::Busy)?
                .client
                .batch_execute(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})"
                ))
                .map_err(|e| DbError::pg("BEGIN", e))?,
        }
        Ok(Tx {
            db: self,
            done: false,
        })
    }

    /// PostgreSQL: holds the writers' lock across several transactions
    /// (and the reads between them) until [`Db::unlock_writers`], so that a
    /// read-decide-write phase cannot interleave with another process's
    /// writes. This connection's own transactions still proceed (advisory
    /// locks are re-entrant per session). SQLite: nothing to do — it has one
    /// writer at a time and the phases write in one transaction.
    pub fn lock_writers(&self) -> DbResult<()> {
        match &self.conn {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(_) => {
                self.execute_batch(&format!("SELECT pg_advisory_lock({PG_WRITE_LOCK})"))
            }
        }
    }

    /// Releases [`Db::lock_writers`].
    pub fn unlock_writers(&self) -> DbResult<()> {
        match &self.conn {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(_) => {
                self.execute_batch(&format!("SELECT pg_advisory_unlock({PG_WRITE_LOCK})"))
            }
        }
    }

    /// The rusqlite connection, for SQLite-only maintenance.
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.conn {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }
}

/// A statement bound to its connection.
pub struct Stmt<'a> {
    db: &'a Db,
    sql: String,
}

impl Stmt<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> DbResult<usize> {
        self.db.execute(&self.sql, params)
    }
    pub fn query_row<P: Params, T, F>(&mut self, params: P, f: F) -> DbResult<T>
    where
        F: FnOnce(&Row<'_>) -> DbResult<T>,
    {
        self.db.query_row(&self.sql, params, f)
    }
    pub fn query_map<P: Params, T, F>(
        &mut self,
        params: P,
        f: F,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>>
    where
        F: FnMut(&Row<'_>) -> DbResult<T>,
    {
        self.db.query_map(&self.sql, params, f)
    }
    pub fn query_each<P: Params, F>(&mut self, params: P, f: F) -> DbResult<()>
    where
        F: FnMut(&Row<'_>) -> DbResult<()>,
    {
        self.db.query_each(&self.sql, params, f)
    }
}

/// A write transaction: [`Tx::commit`] it, or drop it to roll back.
pub struct Tx<'a> {
    db: &'a Db,
    done: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> DbResult<()> {
        self.done = true;
        self.db.execute_batch("COMMIT")
    }
    pub fn rollback(mut self) -> DbResult<()> {
        self.done = true;
        self.db.execute_batch("ROLLBACK")
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.db.execute_batch("ROLLBACK");
        }
    }
}

/// Rewrites a statement written for both backends into PostgreSQL's
/// spelling: `?N` and `?` placeholders → `$N`, `INSERT OR IGNORE INTO` →
/// `INSERT INTO … ON CONFLICT DO NOTHING`, `group_concat(` → `string_agg(`.
/// Text inside single quotes is left alone.
pub fn translate(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut next = 1usize;
    let mut chars = sql.char_indices().peekable();
    let mut in_quote = false;
    while let Some((_, c)) = chars.next() {
        if in_quote {
            out.push(c);
            if c == '\'' {
                in_quote = false;
            }
            continue;
        }
        match c {
            '\'' => {
                in_quote = true;
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_digit() {
                        digits.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    if let Ok(n) = digits.parse::<usize>() {
                        next = next.max(n + 1);
                    }
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    let mut out = replace_ci(&out, "group_concat(", "string_agg(");
    if let Some(pos) = find_ci(&out, "INSERT OR IGNORE INTO") {
        out.replace_range(pos..pos + "INSERT OR IGNORE INTO".len(), "INSERT INTO");
        out = format!(
            "{} ON CONFLICT DO NOTHING",
            out.trim_end().trim_end_matches(';')
        );
    }
    out
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

fn replace_ci(hay: &str, from: &str, to: &str) -> String {
    let mut out = hay.to_string();
    while let Some(pos) = find_ci(&out, from) {
        out.replace_range(pos..pos + from.len(), to);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_placeholders_and_dialect() {
        assert_eq!(
            translate("SELECT a FROM t WHERE b = ?1 AND c = ?2 OR d = ?1"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 OR d = $1"
        );
        assert_eq!(
            translate("UPDATE t SET a = ? WHERE b = ? AND c = '?'"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c = '?'"
        );
        assert_eq!(
            translate("INSERT OR IGNORE INTO t (a) VALUES (?1)"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            translate("SELECT group_concat(tool, ',') FROM e"),
            "SELECT string_agg(tool, ',') FROM e"
        );
    }

    #[test]
    fn decodes_numeric() {
        // 12345678 = digits [1234, 5678], weight 1
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert!(matches!(numeric(&raw), Ok(Cell::Int(12_345_678))));
        // 0 = no digits
        let zero = [0, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(numeric(&zero), Ok(Cell::Int(0))));
        // -2.5 = digits [2, 5000], weight 0, negative
        let neg = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert!(matches!(numeric(&neg), Ok(Cell::Real(r)) if (r + 2.5).abs() < 1e-9));
        assert!(numeric(&[0, 1]).is_err());
    }

    #[test]
    fn sqlite_round_trip() {
        let mut db = Db::sqlite(rusqlite::Connection::open_in_memory().expect("open"));
        db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL, c INTEGER)")
            .expect("ddl");
        let tx = db.transaction().expect("tx");
        let id = tx
            .insert(
                "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)",
                params!["x", 1.5, true],
            )
            .expect("insert");
        tx.commit().expect("commit");
        let (a, b, c): (String, f64, bool) = db
            .query_row("SELECT a, b, c FROM t WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("row");
        assert_eq!((a.as_str(), b, c), ("x", 1.5, true));
        {
            let tx = db.transaction().expect("tx");
            tx.execute("DELETE FROM t", []).expect("delete");
        }
        let n: i64 = db
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1, "a dropped transaction rolls back");
        let none: Option<String> = db
            .query_row("SELECT a FROM t WHERE id = 99", [], |r| r.get(0))
            .optional()
            .expect("optional");
        assert_eq!(none, None);
    }
}
