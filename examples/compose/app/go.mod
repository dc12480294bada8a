module composeapp

go 1.26
