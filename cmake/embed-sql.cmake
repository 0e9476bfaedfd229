# SPDX-License-Identifier: Apache-2.0
# cmake -DOUT=file.c -DSQL_FILES="a.sql;b.sql" -P embed-sql.cmake
#
# Writes a C file defining store_migrations_builtin[] (store/migrate.h): one
# {name, text} entry per file, in the order given, the text as a
# NUL-terminated byte array so any byte of the file survives as is.
# CMakeLists.txt globs host/sql/*.sql for SQL_FILES, so a new migration is
# embedded by the next build without editing anything.
set(body "/* Generated from host/sql by cmake/embed-sql.cmake; do not edit. */\n")
string(APPEND body "#include \"store/migrate.h\"\n\n")
set(table "")
set(i 0)
foreach(f IN LISTS SQL_FILES)
  get_filename_component(name "${f}" NAME)
  file(READ "${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x..,){16})" "\\1\n\t" bytes "${bytes}")
  string(APPEND body "static const char m${i}[] = {\n\t${bytes}0x00};\n")
  string(APPEND table "\t{\"${name}\", m${i}, sizeof(m${i}) - 1},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst struct store_migration store_migrations_builtin[] = {\n${table}\t{0},\n};\n")
file(WRITE "${OUT}" "${body}")
