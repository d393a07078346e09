//! Declaring an output table once: its name, its columns with their Arrow types, and how
//! each column is read from and written back into the record type.
//!
//! A [`Table`] is a list of [`Column`]s. Each column names itself, says its
//! [`ColumnType`] and whether it may be null, and carries two plain functions: `get`
//! reads the column's [`Value`] from a record, `set` writes a value read back from a table
//! into a record. Everything else is derived from that list: the Arrow schema (with the
//! `time` and `diff` columns every change log has), the encoding of updates into a
//! [`RecordBatch`] ([`Table::encode`]), the decoding of a batch (a table scan or a query
//! whose columns carry the declared names) back into records ([`Table::decode`]), and the
//! check of a table found on disk against its declaration ([`Table::check`]).
//!
//! ```
//! use wenflow_engine::table::{Column, ColumnType, Commit, Table, Value};
//!
//! #[derive(Debug, Default, PartialEq)]
//! struct Visit {
//!     page: String,
//!     count: u32,
//! }
//!
//! const VISITS: Table<Visit> = Table::new(
//!     "visits",
//!     Commit::EveryEpoch,
//!     &[
//!         Column::new("page", ColumnType::Utf8, |v| Value::str(&v.page), |v, x| x.put_str(&mut v.page)),
//!         Column::new("count", ColumnType::Int64, |v| Value::int(v.count), |v, x| x.put_int(&mut v.count)),
//!     ],
//! );
//!
//! let visit = Visit { page: "首頁".into(), count: 3 };
//! let batch = VISITS.encode([(&visit, 7, 1)])?;
//! assert_eq!(batch.schema().field(2).name(), "time");
//! assert_eq!(VISITS.decode(&batch)?, vec![(visit, 1)]);
//! # Ok::<(), wenflow_engine::EngineError>(())
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, Int64Builder, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Int64Type, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;

use crate::{EngineError, Epoch, Result};

/// Column name of the epoch in every table.
pub const TIME: &str = "time";
/// Column name of the change (+1 / -1) in every table.
pub const DIFF: &str = "diff";

/// The Arrow type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Utf8,
    /// A 32-bit integer (values outside its range are stored as its maximum).
    Int32,
    /// A 64-bit integer.
    Int64,
    /// A 64-bit float.
    Float64,
    /// A boolean.
    Boolean,
    /// Microseconds since the Unix epoch, UTC.
    Timestamp,
}

impl ColumnType {
    /// The Arrow data type.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Int32 => DataType::Int32,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        }
    }

    /// Whether a column of Arrow type `found` holds this type (any string encoding of text,
    /// a timestamp in microseconds with or without its zone).
    fn admits(self, found: &DataType) -> bool {
        match self {
            ColumnType::Utf8 => matches!(found, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
            ColumnType::Timestamp => matches!(found, DataType::Timestamp(TimeUnit::Microsecond, _)),
            other => &other.data_type() == found,
        }
    }
}

/// A name stored in a text column for an enum (`stage`, `kind`, `rule` …).
pub trait Named: Copy + 'static {
    /// Every value, in table order.
    const ALL: &'static [Self];
    /// The stored name.
    fn as_str(self) -> &'static str;
    /// The value stored as `name`.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == name)
    }
}

/// One column's value of one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Null.
    Null,
    /// Text.
    Str(Cow<'a, str>),
    /// An integer (any integer or timestamp column).
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl<'a> Value<'a> {
    /// Text borrowed from the record.
    pub fn str(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }

    /// Optional text.
    pub fn opt_str(s: Option<&'a str>) -> Self {
        s.map_or(Value::Null, Value::str)
    }

    /// The stored name of an enum.
    pub fn name<N: Named>(n: N) -> Self {
        Value::Str(Cow::Borrowed(n.as_str()))
    }

    /// An integer (an unsigned one past `i64::MAX` is stored as `i64::MAX`).
    pub fn int<T: TryInto<i64>>(v: T) -> Self {
        Value::Int(v.try_into().unwrap_or(i64::MAX))
    }

    /// An optional integer.
    pub fn opt_int<T: TryInto<i64>>(v: Option<T>) -> Self {
        v.map_or(Value::Null, Value::int)
    }

    /// Millionths stored as a fraction (`quality`, `confidence`, `similarity`).
    pub fn ppm(v: u32) -> Self {
        Value::Float(f64::from(v) / 1_000_000.0)
    }

    /// Optional millionths.
    pub fn opt_ppm(v: Option<u32>) -> Self {
        v.map_or(Value::Null, Value::ppm)
    }

    /// Thousandths stored as a number (`skew` in degrees).
    pub fn opt_milli(v: Option<i32>) -> Self {
        v.map_or(Value::Null, |m| Value::Float(f64::from(m) / 1000.0))
    }

    /// Writes text into `into`.
    pub fn put_str(self, into: &mut String) -> bool {
        match self {
            Value::Str(s) => {
                *into = s.into_owned();
                true
            }
            _ => false,
        }
    }

    /// Writes optional text into `into`.
    pub fn put_opt_str(self, into: &mut Option<String>) -> bool {
        match self {
            Value::Null => {
                *into = None;
                true
            }
            Value::Str(s) => {
                *into = Some(s.into_owned());
                true
            }
            _ => false,
        }
    }

    /// Writes an enum stored by name into `into`.
    pub fn put_name<N: Named>(self, into: &mut N) -> bool {
        match self {
            Value::Str(s) => N::parse(&s).map(|n| *into = n).is_some(),
            _ => false,
        }
    }

    /// Writes an integer into `into`, if it fits.
    pub fn put_int<T: TryFrom<i64>>(self, into: &mut T) -> bool {
        match self {
            Value::Int(i) => T::try_from(i).map(|v| *into = v).is_ok(),
            _ => false,
        }
    }

    /// Writes an optional integer into `into`, if it fits.
    pub fn put_opt_int<T: TryFrom<i64>>(self, into: &mut Option<T>) -> bool {
        match self {
            Value::Null => {
                *into = None;
                true
            }
            Value::Int(i) => T::try_from(i).map(|v| *into = Some(v)).is_ok(),
            _ => false,
        }
    }

    /// Writes a fraction into `into` as millionths.
    pub fn put_ppm(self, into: &mut u32) -> bool {
        match self {
            Value::Float(f) if (0.0..=4294.0).contains(&f) => {
                *into = (f * 1_000_000.0).round() as u32;
                true
            }
            _ => false,
        }
    }

    /// Writes an optional fraction into `into` as millionths.
    pub fn put_opt_ppm(self, into: &mut Option<u32>) -> bool {
        match self {
            Value::Null => {
                *into = None;
                true
            }
            v => {
                let mut ppm = 0;
                v.put_ppm(&mut ppm).then(|| *into = Some(ppm)).is_some()
            }
        }
    }

    /// Writes an optional number into `into` as thousandths.
    pub fn put_opt_milli(self, into: &mut Option<i32>) -> bool {
        match self {
            Value::Null => {
                *into = None;
                true
            }
            Value::Float(f) if f.abs() < 2_000_000.0 => {
                *into = Some((f * 1000.0).round() as i32);
                true
            }
            _ => false,
        }
    }

    /// Writes a boolean into `into`.
    pub fn put_bool(self, into: &mut bool) -> bool {
        match self {
            Value::Bool(b) => {
                *into = b;
                true
            }
            _ => false,
        }
    }
}

/// Reads one column's value from a record.
pub type Getter<R> = for<'r> fn(&'r R) -> Value<'r>;
/// Writes a value read back from a table into a record; `false` if it does not fit.
pub type Setter<R> = fn(&mut R, Value<'_>) -> bool;

/// One column of a table.
pub struct Column<R> {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether it may be null.
    pub nullable: bool,
    /// Its value in a record.
    pub get: Getter<R>,
    /// Sets it in a record.
    pub set: Setter<R>,
}

impl<R> Column<R> {
    /// A column that is never null.
    pub const fn new(name: &'static str, ty: ColumnType, get: Getter<R>, set: Setter<R>) -> Self {
        Column { name, ty, nullable: false, get, set }
    }

    /// A column that may be null.
    pub const fn nullable(name: &'static str, ty: ColumnType, get: Getter<R>, set: Setter<R>) -> Self {
        Column { name, ty, nullable: true, get, set }
    }

    /// A column computed from the record (`chars` of a document): written, and ignored when
    /// read back.
    pub const fn derived(name: &'static str, ty: ColumnType, get: Getter<R>) -> Self {
        Column { name, ty, nullable: false, get, set: |_, _| true }
    }
}

/// When a table is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// With every epoch of a stream, before the other tables: the input log, from which
    /// an epoch that some table lacks is replayed exactly as it was first read.
    InputLog,
    /// With every epoch: a job resumes after the last epoch all of these hold.
    EveryEpoch,
    /// Once, when a run's last epoch commits (`runs`).
    EndOfRun,
}

/// An output table: a change log of one record type.
pub struct Table<R: 'static> {
    /// Its name (its directory under the output root).
    pub name: &'static str,
    /// When it is committed.
    pub commit: Commit,
    /// Its columns, before `time` and `diff`.
    pub columns: &'static [Column<R>],
}

impl<R: 'static> Table<R> {
    /// Declares a table.
    pub const fn new(name: &'static str, commit: Commit, columns: &'static [Column<R>]) -> Self {
        Table { name, commit, columns }
    }

    /// The Arrow schema: the declared columns, then `time` and `diff`.
    pub fn schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> =
            self.columns.iter().map(|c| Field::new(c.name, c.ty.data_type(), c.nullable)).collect();
        fields.push(Field::new(TIME, DataType::Int64, false));
        fields.push(Field::new(DIFF, DataType::Int64, false));
        Arc::new(Schema::new(fields))
    }

    fn column_error(&self, column: &str, message: impl Into<String>) -> EngineError {
        EngineError::Column { table: self.name.to_owned(), column: column.to_owned(), message: message.into() }
    }

    /// One batch of [`Table::schema`] holding `updates`: records with their epoch and diff.
    pub fn encode<'r, I>(&self, updates: I) -> Result<RecordBatch>
    where
        I: IntoIterator<Item = (&'r R, Epoch, i64)>,
        R: 'r,
    {
        let updates: Vec<(&R, Epoch, i64)> = updates.into_iter().collect();
        let n = updates.len();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.columns.len() + 2);
        for column in self.columns {
            let values = updates.iter().map(|(r, _, _)| (column.get)(r));
            columns.push(self.build(column, values)?);
        }
        let (mut time, mut diff) = (Int64Builder::with_capacity(n), Int64Builder::with_capacity(n));
        for (_, t, d) in &updates {
            time.append_value(i64::try_from(*t).unwrap_or(i64::MAX));
            diff.append_value(*d);
        }
        columns.push(Arc::new(time.finish()));
        columns.push(Arc::new(diff.finish()));
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }

    /// The Arrow array of one column's values.
    fn build<'v>(&self, column: &Column<R>, values: impl Iterator<Item = Value<'v>>) -> Result<ArrayRef> {
        let mismatch = |v: Value| self.column_error(column.name, format!("a {v:?} value for a {:?} column", column.ty));
        let (array, nulls): (ArrayRef, bool) = match column.ty {
            ColumnType::Utf8 => {
                let (v, nulls) =
                    gather(values, |v| if let Value::Str(s) = v { Ok(s) } else { Err(v) }).map_err(mismatch)?;
                (Arc::new(StringArray::from_iter(v.iter().map(|s| s.as_deref()))), nulls)
            }
            ColumnType::Int32 => {
                let saturate = |i: i64| i32::try_from(i).unwrap_or(if i < 0 { i32::MIN } else { i32::MAX });
                let (v, nulls) = gather(values, |v| if let Value::Int(i) = v { Ok(saturate(i)) } else { Err(v) })
                    .map_err(mismatch)?;
                (Arc::new(Int32Array::from(v)), nulls)
            }
            ColumnType::Int64 | ColumnType::Timestamp => {
                let (v, nulls) =
                    gather(values, |v| if let Value::Int(i) = v { Ok(i) } else { Err(v) }).map_err(mismatch)?;
                match column.ty {
                    ColumnType::Timestamp => (Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC")), nulls),
                    _ => (Arc::new(Int64Array::from(v)), nulls),
                }
            }
            ColumnType::Float64 => {
                let (v, nulls) =
                    gather(values, |v| if let Value::Float(f) = v { Ok(f) } else { Err(v) }).map_err(mismatch)?;
                (Arc::new(Float64Array::from(v)), nulls)
            }
            ColumnType::Boolean => {
                let (v, nulls) =
                    gather(values, |v| if let Value::Bool(b) = v { Ok(b) } else { Err(v) }).map_err(mismatch)?;
                (Arc::new(BooleanArray::from(v)), nulls)
            }
        };
        if nulls && !column.nullable {
            return Err(self.column_error(column.name, "a null in a column that is never null"));
        }
        Ok(array)
    }

    /// The records of `batch`, each with its diff (1 when the batch has no `diff` column).
    ///
    /// The batch's columns are matched to the declaration by name, so a table scan and a
    /// query that names its columns as the table does both decode; declared columns the
    /// batch lacks keep the record's default, `time` is ignored. A column the declaration
    /// lacks, a column of another type, or a value that does not fit the record is an error
    /// naming the table and the column.
    pub fn decode(&self, batch: &RecordBatch) -> Result<Vec<(R, i64)>>
    where
        R: Default,
    {
        let schema = batch.schema();
        let mut readers: Vec<(&Column<R>, Reader)> = Vec::new();
        let mut diff = None;
        for (i, field) in schema.fields().iter().enumerate() {
            match field.name().as_str() {
                DIFF => {
                    diff = Some(batch.column(i).as_primitive_opt::<Int64Type>().ok_or_else(|| {
                        self.column_error(DIFF, format!("{} where Int64 was declared", field.data_type()))
                    })?)
                }
                TIME => {}
                name => {
                    let column = self
                        .columns
                        .iter()
                        .find(|c| c.name == name)
                        .ok_or_else(|| self.column_error(name, "not a column of the table's declaration"))?;
                    if !column.ty.admits(field.data_type()) {
                        return Err(self.column_error(
                            name,
                            format!("{} where {} was declared", field.data_type(), column.ty.data_type()),
                        ));
                    }
                    readers.push((column, Reader::new(column.ty, batch.column(i))?));
                }
            }
        }
        let mut rows = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            let mut record = R::default();
            for (column, reader) in &readers {
                if !(column.set)(&mut record, reader.value(row)) {
                    // Read again to show it: formatting every value up front would cost as
                    // much as the decoding.
                    let shown = format!("{:?}", reader.value(row));
                    return Err(self.column_error(column.name, format!("row {row}: {shown} does not fit the record")));
                }
            }
            rows.push((record, diff.map_or(1, |d| d.value(row))));
        }
        Ok(rows)
    }

    /// Checks a table found on disk against the declaration: the same columns, in any
    /// order, of the declared types, and `time` and `diff`.
    pub fn check(&self, found: &Schema) -> Result<()> {
        for column in self.columns {
            let field = found
                .field_with_name(column.name)
                .map_err(|_| self.column_error(column.name, "declared, and missing from the table on disk"))?;
            if !column.ty.admits(field.data_type()) {
                return Err(self.column_error(
                    column.name,
                    format!("{} on disk where {} is declared", field.data_type(), column.ty.data_type()),
                ));
            }
        }
        for name in [TIME, DIFF] {
            match found.field_with_name(name) {
                Ok(f) if f.data_type() == &DataType::Int64 => {}
                Ok(f) => {
                    return Err(self.column_error(name, format!("{} on disk where Int64 is declared", f.data_type())));
                }
                Err(_) => return Err(self.column_error(name, "declared, and missing from the table on disk")),
            }
        }
        if let Some(extra) = found
            .fields()
            .iter()
            .find(|f| f.name() != TIME && f.name() != DIFF && !self.columns.iter().any(|c| c.name == f.name()))
        {
            return Err(self.column_error(extra.name(), "on disk, and not a column of the table's declaration"));
        }
        Ok(())
    }
}

/// The values of one column as `pick` takes them, nulls as `None`, and whether there was a
/// null; the first value `pick` refuses is the error.
fn gather<'v, T>(
    values: impl Iterator<Item = Value<'v>>,
    pick: impl Fn(Value<'v>) -> std::result::Result<T, Value<'v>>,
) -> std::result::Result<(Vec<Option<T>>, bool), Value<'v>> {
    let mut out = Vec::with_capacity(values.size_hint().0);
    let mut nulls = false;
    for v in values {
        match v {
            Value::Null => {
                nulls = true;
                out.push(None);
            }
            v => out.push(Some(pick(v)?)),
        }
    }
    Ok((out, nulls))
}

/// Reads values of one column of a batch.
enum Reader {
    Utf8(arrow::array::StringArray),
    Int32(arrow::array::Int32Array),
    Int64(arrow::array::Int64Array),
    Float64(arrow::array::Float64Array),
    Boolean(arrow::array::BooleanArray),
}

impl Reader {
    fn new(ty: ColumnType, array: &ArrayRef) -> Result<Reader> {
        Ok(match ty {
            ColumnType::Utf8 => Reader::Utf8(arrow::compute::cast(array, &DataType::Utf8)?.as_string::<i32>().clone()),
            ColumnType::Int32 => Reader::Int32(array.as_primitive::<Int32Type>().clone()),
            ColumnType::Int64 => Reader::Int64(array.as_primitive::<Int64Type>().clone()),
            ColumnType::Timestamp => {
                Reader::Int64(arrow::compute::cast(array, &DataType::Int64)?.as_primitive::<Int64Type>().clone())
            }
            ColumnType::Float64 => Reader::Float64(array.as_primitive::<Float64Type>().clone()),
            ColumnType::Boolean => Reader::Boolean(array.as_boolean().clone()),
        })
    }

    fn value(&self, row: usize) -> Value<'_> {
        match self {
            Reader::Utf8(a) if a.is_valid(row) => Value::str(a.value(row)),
            Reader::Int32(a) if a.is_valid(row) => Value::Int(i64::from(a.value(row))),
            Reader::Int64(a) if a.is_valid(row) => Value::Int(a.value(row)),
            Reader::Float64(a) if a.is_valid(row) => Value::Float(a.value(row)),
            Reader::Boolean(a) if a.is_valid(row) => Value::Bool(a.value(row)),
            _ => Value::Null,
        }
    }
}

/// What the engine and the connectors need of any output table, whatever its record type:
/// an entry of [`crate::schema::TABLES`].
#[derive(Clone, Copy)]
pub struct TableInfo {
    /// The table's name.
    pub name: &'static str,
    /// When it is committed.
    pub commit: Commit,
    /// Its Arrow schema.
    pub schema: fn() -> SchemaRef,
    /// Checks a table found on disk against the declaration.
    pub check: fn(&Schema) -> Result<()>,
}

/// A record type written as a row of an output table.
pub trait TableRow: Sized + 'static {
    /// The record type of the table's declaration (`Document` for `Shared<Document>`).
    type Row: 'static;
    /// The table's declaration.
    const DECLARATION: Table<Self::Row>;
    /// The table's name (its directory under the output root).
    const TABLE: &'static str = Self::DECLARATION.name;

    /// The declared record of this row.
    fn row(&self) -> &Self::Row;

    /// The table's Arrow schema, `time` and `diff` included as the last two columns.
    fn schema() -> SchemaRef {
        Self::DECLARATION.schema()
    }

    /// Converts updates (of records or of anything that borrows as one, such as a
    /// [`crate::Shared`] record) into one batch of [`TableRow::schema`].
    fn to_batch<B: std::borrow::Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        Self::DECLARATION.encode(rows.iter().map(|(r, t, d)| (r.borrow().row(), *t, *d)))
    }

    /// The registry entry of the table.
    fn info() -> TableInfo {
        TableInfo {
            name: Self::TABLE,
            commit: Self::DECLARATION.commit,
            schema: Self::schema,
            check: |found| Self::DECLARATION.check(found),
        }
    }
}
