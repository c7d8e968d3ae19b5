package datasets

import (
	"encoding/binary"
	"fmt"
	"io"
)

// checkParquetFooter refuses a Parquet file whose footer length (the 4
// bytes before the closing magic "PAR1") does not fit in the file, before
// parquet-go allocates a buffer of that length: a damaged or hostile
// file of a few bytes could otherwise ask for 4 GB.
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
