# combine.mk: build/combine-tool, the native combine alone (combine*.c and
# what they stand on), for the native-combine oracle tests
# (tests/system/test_native_combine.py) and the bench.

COMBINE_TOOL_OBJ := $(patsubst src/%.c,%.o,$(wildcard src/combine*.c)) \
	hashtab.o pool.o sqlfile.o util.o

build/combine-tool: tests/tools/combine_tool.c \
		$(addprefix build/obj/,$(COMBINE_TOOL_OBJ))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lsqlite3

build/asan/combine-tool: tests/tools/combine_tool.c \
		$(addprefix build/asan/obj/,$(COMBINE_TOOL_OBJ))
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDFLAGS) -lsqlite3

# The bench's one-SQLite-session limit of a combine (bench/combine.py).
build/sqlite-limit: tests/tools/sqlite_limit.c
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lsqlite3 -DSQLITE_OMIT_LOAD_EXTENSION
