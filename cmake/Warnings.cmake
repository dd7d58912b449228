# One warning flag per line. -Werror is behind SMTPTLS_WERROR, which CI turns on.
set(SMTPTLS_WARNING_FLAGS
  -Wall
  -Wextra
  -Wshadow
  -Wcast-qual
  -Wcast-align
  -Wconversion
  -Wsign-conversion
  -Wmissing-prototypes
  -Wstrict-prototypes
  -Wpointer-arith
  -Wwrite-strings
  -Wundef
  -Wformat=2
  -Wvla
)

function(smtptls_warnings target)
  target_compile_options(${target} PRIVATE ${SMTPTLS_WARNING_FLAGS})
  if(SMTPTLS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
