# Compiler settings shared by every smtpgate target.

# Warnings as errors on project code only (not on Debian's headers, which are SYSTEM).
function(smtpgate_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor)
endfunction()

if(SMTPGATE_SANITIZE)
  add_compile_options(-fsanitize=${SMTPGATE_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SMTPGATE_SANITIZE})
endif()

# In a fuzz build (not OSS-Fuzz), the library is instrumented for coverage and the
# sanitizers; only the fuzz targets themselves link the libFuzzer main.
if(SMTPGATE_FUZZ AND NOT DEFINED ENV{LIB_FUZZING_ENGINE})
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
