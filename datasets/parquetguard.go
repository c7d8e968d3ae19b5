package datasets

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// openParquet opens a Parquet file for reading rows, guarded against the
// damaged files parquet-go does not survive: a footer length larger than
// the file (it would allocate that much, up to 4 GB for a 1 KB file) is
// refused first, and a panic inside parquet-go (out-of-range offsets in
// the metadata) becomes an error. The page index and bloom filters, which
// a full scan does not use, are not read.
func openParquet(f *os.File, size int64, name string) (pf *parquet.File, err error) {
	if err := checkParquetFooter(f, size, name); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			pf, err = nil, fmt.Errorf("%s: not a readable Parquet file: its metadata is damaged (%v)", name, p)
		}
	}()
	pf, err = parquet.OpenFile(f, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	return pf, nil
}

// readParquetRows reads the next rows, turning a panic of parquet-go on a
// damaged page into an error naming the file and the row.
//
//lint:ignore SA1019 the row reader of parquetsource.go (see there)
func readParquetRows(r *parquet.Reader, rows []parquet.Row, name string, row int64) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("%s: row %d: not a readable Parquet file: a page is damaged (%v)", name, row, p)
		}
	}()
	return r.ReadRows(rows)
}

// checkParquetFooter refuses a Parquet file whose footer length (the 4
// bytes before the closing magic "PAR1") does not fit in the file.
func checkParquetFooter(r io.ReaderAt, size int64, name string) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%s: not a readable Parquet file: %d bytes is too short for the magic bytes and the footer", name, size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	if string(tail[4:]) != magic {
		return fmt.Errorf("%s: not a readable Parquet file: it does not end with the magic bytes PAR1 (a truncated copy?)", name)
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer > size-12 {
		return fmt.Errorf("%s: not a readable Parquet file: its footer claims %d bytes in a file of %d (a damaged or truncated copy?)", name, footer, size)
	}
	return nil
}
