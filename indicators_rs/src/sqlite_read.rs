//! Bars read from a SQLite file straight into a Polars frame, through the SQLite library Python's own
//! `sqlite3` module already loaded.
//!
//! Two copies of SQLite in one process corrupt a database both open: closing a file in one drops the POSIX
//! locks the other holds (sqlite.org, "How To Corrupt An SQLite Database File", 2.2.1). So this module
//! links no SQLite of its own: it looks up the C functions in the `_sqlite3` extension's library (the very
//! copy Python's connections use; `dlopen` with `RTLD_NOLOAD`, so nothing is loaded a second time) and
//! calls them. No address ever comes from Python: the lookup is private to this module, so a caller cannot
//! turn arbitrary integers into function pointers. Reading costs one C call per value instead of one
//! Python object per value.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

use polars::prelude::*;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

const SQLITE_OK: c_int = 0;
const SQLITE_ROW: c_int = 100;
const SQLITE_DONE: c_int = 101;
const SQLITE_NULL: c_int = 5;
const SQLITE_OPEN_READONLY: c_int = 0x0000_0001;
const SQLITE_OPEN_URI: c_int = 0x0000_0040;
/// `SQLITE_TRANSIENT`: SQLite copies a bound string before the call returns.
const SQLITE_TRANSIENT: isize = -1;
/// Milliseconds a read waits for a writer's lock before giving up.
const BUSY_TIMEOUT_MS: c_int = 30_000;

/// The C functions looked up, in this order.
const FUNCTIONS: [&str; 14] = [
    "sqlite3_open_v2",
    "sqlite3_busy_timeout",
    "sqlite3_prepare_v2",
    "sqlite3_bind_int64",
    "sqlite3_bind_text",
    "sqlite3_step",
    "sqlite3_column_int64",
    "sqlite3_column_double",
    "sqlite3_column_text",
    "sqlite3_column_bytes",
    "sqlite3_column_type",
    "sqlite3_finalize",
    "sqlite3_close_v2",
    "sqlite3_errmsg",
];

type Db = c_void;
type Stmt = c_void;

type OpenV2 = unsafe extern "C" fn(*const c_char, *mut *mut Db, c_int, *const c_char) -> c_int;
type BusyTimeout = unsafe extern "C" fn(*mut Db, c_int) -> c_int;
type PrepareV2 = unsafe extern "C" fn(
    *mut Db,
    *const c_char,
    c_int,
    *mut *mut Stmt,
    *mut *const c_char,
) -> c_int;
type BindInt64 = unsafe extern "C" fn(*mut Stmt, c_int, i64) -> c_int;
type BindText = unsafe extern "C" fn(*mut Stmt, c_int, *const c_char, c_int, isize) -> c_int;
type Step = unsafe extern "C" fn(*mut Stmt) -> c_int;
type ColumnInt64 = unsafe extern "C" fn(*mut Stmt, c_int) -> i64;
type ColumnDouble = unsafe extern "C" fn(*mut Stmt, c_int) -> f64;
type ColumnText = unsafe extern "C" fn(*mut Stmt, c_int) -> *const u8;
type ColumnInt = unsafe extern "C" fn(*mut Stmt, c_int) -> c_int;
type Finalize = unsafe extern "C" fn(*mut Stmt) -> c_int;
type Close = unsafe extern "C" fn(*mut Db) -> c_int;
type ErrMsg = unsafe extern "C" fn(*mut Db) -> *const c_char;

/// The SQLite C API, as function pointers into the library Python loaded.
struct Api {
    open_v2: OpenV2,
    busy_timeout: BusyTimeout,
    prepare_v2: PrepareV2,
    bind_int64: BindInt64,
    bind_text: BindText,
    step: Step,
    column_int64: ColumnInt64,
    column_double: ColumnDouble,
    column_text: ColumnText,
    column_bytes: ColumnInt,
    column_type: ColumnInt,
    finalize: Finalize,
    close_v2: Close,
    errmsg: ErrMsg,
}

impl Api {
    /// The SQLite C API of the library Python's `sqlite3` module uses: `library` is that extension's file
    /// (None: SQLite is linked into the interpreter itself).
    fn of_loaded_library(library: Option<&str>) -> Result<Api, String> {
        let name = library
            .map(|path| {
                CString::new(path).map_err(|_| format!("library path {path:?} holds a NUL byte"))
            })
            .transpose()?;
        // SAFETY: RTLD_NOLOAD only returns a handle to a library this process has already loaded (it never
        // loads one); a null name is the main program. The handle is never closed: the library stays
        // loaded for the life of the process anyway (Python's sqlite3 holds it).
        let handle = unsafe {
            libc::dlopen(
                name.as_ref().map_or(ptr::null(), |n| n.as_ptr()),
                libc::RTLD_NOW | libc::RTLD_NOLOAD,
            )
        };
        if handle.is_null() {
            return Err(format!(
                "the SQLite library {library:?} of Python's sqlite3 is not loaded"
            ));
        }
        let mut found = [0usize; FUNCTIONS.len()];
        for (slot, function) in found.iter_mut().zip(FUNCTIONS) {
            let symbol = CString::new(function).expect("function names hold no NUL");
            // SAFETY: `handle` is a live handle from dlopen and `symbol` a NUL-terminated name.
            let address = unsafe { libc::dlsym(handle, symbol.as_ptr()) };
            if address.is_null() {
                return Err(format!("SQLite library {library:?} lacks {function}"));
            }
            *slot = address as usize;
        }
        // SAFETY: each address is the dlsym of the named SQLite 3 function, in FUNCTIONS order, in the one
        // SQLite library the process loaded; a fn pointer is address-sized.
        unsafe {
            Ok(Api {
                open_v2: std::mem::transmute::<usize, OpenV2>(found[0]),
                busy_timeout: std::mem::transmute::<usize, BusyTimeout>(found[1]),
                prepare_v2: std::mem::transmute::<usize, PrepareV2>(found[2]),
                bind_int64: std::mem::transmute::<usize, BindInt64>(found[3]),
                bind_text: std::mem::transmute::<usize, BindText>(found[4]),
                step: std::mem::transmute::<usize, Step>(found[5]),
                column_int64: std::mem::transmute::<usize, ColumnInt64>(found[6]),
                column_double: std::mem::transmute::<usize, ColumnDouble>(found[7]),
                column_text: std::mem::transmute::<usize, ColumnText>(found[8]),
                column_bytes: std::mem::transmute::<usize, ColumnInt>(found[9]),
                column_type: std::mem::transmute::<usize, ColumnInt>(found[10]),
                finalize: std::mem::transmute::<usize, Finalize>(found[11]),
                close_v2: std::mem::transmute::<usize, Close>(found[12]),
                errmsg: std::mem::transmute::<usize, ErrMsg>(found[13]),
            })
        }
    }
}

/// The API, looked up once per process (the error too: the library does not come and go).
static API: OnceLock<Result<Api, String>> = OnceLock::new();

fn loaded_api(py: Python<'_>) -> Result<&'static Api, String> {
    if let Some(found) = API.get() {
        return found.as_ref().map_err(Clone::clone);
    }
    let library = py
        .import("_sqlite3")
        .map_err(|e| format!("Python's sqlite3 extension cannot be imported: {e}"))?
        .getattr("__file__")
        .ok()
        .and_then(|file| file.extract::<String>().ok());
    API.get_or_init(|| Api::of_loaded_library(library.as_deref()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Whether the native reader can run here (the SQLite library of Python's sqlite3 was found).
#[pyfunction]
pub fn sqlite_native_available(py: Python<'_>) -> bool {
    loaded_api(py).is_ok()
}

/// A bound parameter: a symbol (text) or a time in epoch milliseconds (integer).
#[derive(FromPyObject)]
pub enum Param {
    Int(i64),
    Text(String),
}

/// Columns of a bar read: symbol, ts (epoch ms), open, high, low, close, volume (nullable).
#[derive(Default)]
struct Columns {
    symbols: Vec<(String, usize)>,
    ts: Vec<i64>,
    prices: [Vec<f64>; 4],
    volume: Vec<Option<f64>>,
}

/// An open read-only connection and statement, released on drop (also on an early error).
struct Read<'a> {
    api: &'a Api,
    db: *mut Db,
    stmt: *mut Stmt,
}

impl Drop for Read<'_> {
    fn drop(&mut self) {
        unsafe {
            if !self.stmt.is_null() {
                (self.api.finalize)(self.stmt);
            }
            if !self.db.is_null() {
                (self.api.close_v2)(self.db);
            }
        }
    }
}

impl Read<'_> {
    fn error(&self, what: &str) -> String {
        let message = unsafe {
            let text = (self.api.errmsg)(self.db);
            if text.is_null() {
                "unknown error".to_string()
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            }
        };
        format!("SQLite {what}: {message}")
    }
}

fn read(api: &Api, path: &str, sql: &str, params: &[Param]) -> Result<Columns, String> {
    let c_path =
        CString::new(path).map_err(|_| "the database path contains a NUL byte".to_string())?;
    let c_sql = CString::new(sql).map_err(|_| "the query contains a NUL byte".to_string())?;
    let mut read = Read {
        api,
        db: ptr::null_mut(),
        stmt: ptr::null_mut(),
    };
    unsafe {
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        if (api.open_v2)(c_path.as_ptr(), &mut read.db, flags, ptr::null()) != SQLITE_OK {
            return Err(read.error(&format!("cannot open {path}")));
        }
        (api.busy_timeout)(read.db, BUSY_TIMEOUT_MS);
        if (api.prepare_v2)(read.db, c_sql.as_ptr(), -1, &mut read.stmt, ptr::null_mut())
            != SQLITE_OK
        {
            return Err(read.error("cannot prepare the bar query"));
        }
        for (index, param) in params.iter().enumerate() {
            let position =
                c_int::try_from(index + 1).map_err(|_| "too many parameters".to_string())?;
            let code = match param {
                Param::Int(value) => (api.bind_int64)(read.stmt, position, *value),
                Param::Text(text) => {
                    let length = c_int::try_from(text.len())
                        .map_err(|_| "a symbol is too long".to_string())?;
                    (api.bind_text)(
                        read.stmt,
                        position,
                        text.as_ptr().cast(),
                        length,
                        SQLITE_TRANSIENT,
                    )
                }
            };
            if code != SQLITE_OK {
                return Err(read.error("cannot bind a parameter"));
            }
        }
        let mut columns = Columns::default();
        loop {
            match (api.step)(read.stmt) {
                SQLITE_ROW => columns.push_row(api, read.stmt),
                SQLITE_DONE => return Ok(columns),
                _ => return Err(read.error("read failed")),
            }
        }
    }
}

impl Columns {
    /// # Safety
    /// `stmt` has a current row of (symbol, ts, open, high, low, close, volume).
    unsafe fn push_row(&mut self, api: &Api, stmt: *mut Stmt) {
        unsafe {
            let text = (api.column_text)(stmt, 0);
            let length = usize::try_from((api.column_bytes)(stmt, 0)).unwrap_or(0);
            let symbol: &[u8] = if text.is_null() {
                &[]
            } else {
                std::slice::from_raw_parts(text, length)
            };
            match self.symbols.last_mut() {
                Some((last, count)) if last.as_bytes() == symbol => *count += 1,
                _ => self
                    .symbols
                    .push((String::from_utf8_lossy(symbol).into_owned(), 1)),
            }
            self.ts.push((api.column_int64)(stmt, 1));
            for (offset, prices) in self.prices.iter_mut().enumerate() {
                prices.push((api.column_double)(stmt, 2 + offset as c_int));
            }
            let volume = if (api.column_type)(stmt, 6) == SQLITE_NULL {
                None
            } else {
                Some((api.column_double)(stmt, 6))
            };
            self.volume.push(volume);
        }
    }

    fn into_frame(self) -> PolarsResult<DataFrame> {
        let rows = self.ts.len();
        let mut symbols = StringChunkedBuilder::new("symbol".into(), rows);
        for (symbol, count) in &self.symbols {
            for _ in 0..*count {
                symbols.append_value(symbol);
            }
        }
        let [open, high, low, close] = self.prices;
        DataFrame::new(
            rows,
            vec![
                symbols.finish().into_series().into_column(),
                Column::new("ts".into(), self.ts),
                Column::new("open".into(), open),
                Column::new("high".into(), high),
                Column::new("low".into(), low),
                Column::new("close".into(), close),
                Column::new("volume".into(), self.volume),
            ],
        )
    }
}

/// Runs `sql` (selecting symbol, ts, open, high, low, close, volume) on the SQLite file at `path`,
/// read-only, with the SQLite library of Python's sqlite3 module, without holding the GIL.
#[pyfunction]
pub fn read_sqlite_bars(
    py: Python<'_>,
    path: String,
    sql: String,
    params: Vec<Param>,
) -> PyResult<PyDataFrame> {
    let api = loaded_api(py).map_err(PyRuntimeError::new_err)?;
    let columns = py
        .detach(|| read(api, &path, &sql, &params))
        .map_err(PyRuntimeError::new_err)?;
    let frame = columns
        .into_frame()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(PyDataFrame(frame))
}
