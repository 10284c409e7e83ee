module goroscope.dev/testdata/gen

go 1.21
