# combine.mk: build/combine-tool, combine.c alone, for the native-combine
# oracle tests (tests/system/test_native_combine.py) and the bench.

build/combine-tool: tests/tools/combine_tool.c build/obj/combine.o \
		build/obj/pool.o build/obj/sqlfile.o build/obj/util.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lsqlite3

build/asan/combine-tool: tests/tools/combine_tool.c build/asan/obj/combine.o \
		build/asan/obj/pool.o build/asan/obj/sqlfile.o build/asan/obj/util.o
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDFLAGS) -lsqlite3

# The bench's one-SQLite-session limit of a combine (bench/combine.py).
build/sqlite-limit: tests/tools/sqlite_limit.c
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lsqlite3 -DSQLITE_OMIT_LOAD_EXTENSION
