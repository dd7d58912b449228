# embed_scripts.cmake — turns files into byte arrays in a generated header, so
# the installed binary carries its chart definitions and its page template.
#   cmake -DDIR=<charts folder> -DOUT=<header> -P embed_scripts.cmake
#       every DIR/*.gp as plot_script_<stem>[], and the table plot_scripts[]
#   cmake -DFILE=<file> -DVAR=<name> -DOUT=<header> -P embed_scripts.cmake
#       one file as the array <name>[] and its length <name>_len

# The bytes of path as C initialiser lines, 16 bytes (32 hex digits) a line.
function(embed_bytes path out)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  set(bytes "")
  set(pos 0)
  while(pos LESS hexlen)
    string(SUBSTRING "${hex}" ${pos} 32 line)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " line "${line}")
    string(STRIP "${line}" line)
    string(APPEND bytes "\t${line}\n")
    math(EXPR pos "${pos} + 32")
  endwhile()
  set(${out} "${bytes}" PARENT_SCOPE)
endfunction()

if(DEFINED FILE)
  get_filename_component(name "${FILE}" NAME)
  embed_bytes("${FILE}" bytes)
  set(body "/* ${VAR}.h — generated from plots/${name} by plots/embed_scripts.cmake.\n")
  string(APPEND body " * Do not edit: edit plots/${name}. */\n\n")
  string(APPEND body "static const unsigned char ${VAR}[] = {\n${bytes}};\n")
  string(APPEND body "static const size_t ${VAR}_len = sizeof(${VAR});\n")
else()
  file(GLOB scripts "${DIR}/*.gp")
  list(SORT scripts)
  set(body "/* plot_scripts.h — generated from the scripts in plots/charts by plots/embed_scripts.cmake.\n")
  string(APPEND body " * Do not edit: edit the scripts. Included by plots/plot.c only. */\n\n")
  set(table "")
  foreach(script ${scripts})
    get_filename_component(name "${script}" NAME)
    get_filename_component(stem "${script}" NAME_WE)
    embed_bytes("${script}" bytes)
    string(APPEND body "static const unsigned char plot_script_${stem}[] = {\n${bytes}};\n\n")
    string(APPEND table "\t{\"${name}\", plot_script_${stem}, sizeof(plot_script_${stem})},\n")
  endforeach()
  string(APPEND body "static const struct plot_script plot_scripts[] = {\n${table}};\n")
endif()
# Rewrite only on change, so an unchanged input does not rebuild the library.
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL body)
  file(WRITE "${OUT}" "${body}")
endif()
