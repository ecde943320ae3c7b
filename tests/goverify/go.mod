module meshcert.local/goverify

go 1.24
