//! A bounds-checked reader of the few FlatBuffers tables a `.tflite` file
//! needs: tables with their vtables, vectors of scalars and of tables, and
//! byte vectors, read in place from a byte slice. Every offset is checked
//! before it is followed, so a truncated or malformed file is an error,
//! never a panic or a read out of bounds.
//!
//! The format, in brief: a table starts with an `i32` that, subtracted from
//! the table's position, gives its vtable; the vtable is `u16`s — its own
//! length, the table's length, then one offset per field (0 for a field
//! left at its default). A field holding a table, vector or string holds a
//! `u32` offset forward from the field's own position; a vector is a `u32`
//! count followed by its elements.

use crate::Error;

/// A refusal for a malformed file, naming what was wrong.
pub(crate) const fn malformed(reason: &'static str) -> Error {
    Error::TfliteMalformed { reason }
}

/// A table in a flatbuffer: its position and the position of its vtable.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Table<'a> {
    bytes: &'a [u8],
    at: usize,
    vtable: usize,
    vtable_len: usize,
}

/// A vector in a flatbuffer: the position of its first element and its length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Vector<'a> {
    bytes: &'a [u8],
    at: usize,
    len: usize,
}

fn read<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], Error> {
    let end = at.checked_add(N).ok_or(malformed("an offset past the end of the file"))?;
    let slice = bytes.get(at..end).ok_or(malformed("an offset past the end of the file"))?;
    let mut out = [0; N];
    out.copy_from_slice(slice);
    Ok(out)
}

pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Result<u32, Error> {
    read::<4>(bytes, at).map(u32::from_le_bytes)
}

fn read_u16(bytes: &[u8], at: usize) -> Result<u16, Error> {
    read::<2>(bytes, at).map(u16::from_le_bytes)
}

/// The position `at + offset`, where `offset` is the `u32` stored at `at`.
fn follow(bytes: &[u8], at: usize) -> Result<usize, Error> {
    let offset = read_u32(bytes, at)? as usize;
    at.checked_add(offset).filter(|&to| to < bytes.len()).ok_or(malformed("an offset past the end of the file"))
}

impl<'a> Table<'a> {
    /// The root table of a flatbuffer.
    pub(crate) fn root(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::at(bytes, follow(bytes, 0)?)
    }

    fn at(bytes: &'a [u8], at: usize) -> Result<Self, Error> {
        let back = i32::from_le_bytes(read::<4>(bytes, at)?);
        let vtable = (at as i64)
            .checked_sub(i64::from(back))
            .and_then(|v| usize::try_from(v).ok())
            .ok_or(malformed("a vtable before the start of the file"))?;
        let vtable_len = usize::from(read_u16(bytes, vtable)?);
        if vtable_len < 4 || vtable_len % 2 != 0 || vtable.checked_add(vtable_len).is_none_or(|e| e > bytes.len()) {
            return Err(malformed("a vtable of impossible length"));
        }
        Ok(Self { bytes, at, vtable, vtable_len })
    }

    /// The position of field `index`, or `None` if the table leaves it out.
    fn field(&self, index: usize) -> Result<Option<usize>, Error> {
        let entry = 4 + 2 * index;
        if entry + 2 > self.vtable_len {
            return Ok(None);
        }
        let offset = usize::from(read_u16(self.bytes, self.vtable + entry)?);
        if offset == 0 {
            return Ok(None);
        }
        self.at.checked_add(offset).map(Some).ok_or(malformed("a field past the end of the file"))
    }

    /// A `u8`/`i8`-sized scalar field, or `default` when absent.
    pub(crate) fn byte(&self, index: usize, default: u8) -> Result<u8, Error> {
        match self.field(index)? {
            Some(at) => read::<1>(self.bytes, at).map(|b| b[0]),
            None => Ok(default),
        }
    }

    /// A 32-bit scalar field, or `default` when absent.
    pub(crate) fn u32(&self, index: usize, default: u32) -> Result<u32, Error> {
        match self.field(index)? {
            Some(at) => read_u32(self.bytes, at),
            None => Ok(default),
        }
    }

    /// A 64-bit scalar field, or `default` when absent.
    pub(crate) fn u64(&self, index: usize, default: u64) -> Result<u64, Error> {
        match self.field(index)? {
            Some(at) => read::<8>(self.bytes, at).map(u64::from_le_bytes),
            None => Ok(default),
        }
    }

    /// A table field, or `None` when absent.
    pub(crate) fn table(&self, index: usize) -> Result<Option<Table<'a>>, Error> {
        match self.field(index)? {
            Some(at) => Table::at(self.bytes, follow(self.bytes, at)?).map(Some),
            None => Ok(None),
        }
    }

    /// A vector field of `element`-byte elements, or `None` when absent.
    pub(crate) fn vector(&self, index: usize, element: usize) -> Result<Option<Vector<'a>>, Error> {
        let Some(at) = self.field(index)? else { return Ok(None) };
        let start = follow(self.bytes, at)?;
        let len = read_u32(self.bytes, start)? as usize;
        let bytes_needed = len.checked_mul(element).ok_or(malformed("a vector longer than the file"))?;
        let first = start + 4;
        if first.checked_add(bytes_needed).is_none_or(|end| end > self.bytes.len()) {
            return Err(malformed("a vector longer than the file"));
        }
        Ok(Some(Vector { bytes: self.bytes, at: first, len }))
    }
}

impl<'a> Vector<'a> {
    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The elements' bytes (for vectors of bytes, the whole of it).
    pub(crate) fn bytes(&self, element: usize) -> &'a [u8] {
        // In bounds for the element size the vector was read with.
        self.bytes.get(self.at..self.at + self.len * element).unwrap_or(&[])
    }

    /// Element `i` of a vector of 32-bit scalars.
    pub(crate) fn u32(&self, i: usize) -> Result<u32, Error> {
        if i >= self.len {
            return Err(malformed("an index past the end of a vector"));
        }
        read_u32(self.bytes, self.at + 4 * i)
    }

    /// Element `i` of a vector of 64-bit scalars.
    pub(crate) fn u64(&self, i: usize) -> Result<u64, Error> {
        if i >= self.len {
            return Err(malformed("an index past the end of a vector"));
        }
        read::<8>(self.bytes, self.at + 8 * i).map(u64::from_le_bytes)
    }

    /// Element `i` of a vector of tables.
    pub(crate) fn table(&self, i: usize) -> Result<Table<'a>, Error> {
        if i >= self.len {
            return Err(malformed("an index past the end of a vector"));
        }
        Table::at(self.bytes, follow(self.bytes, self.at + 4 * i)?)
    }
}
