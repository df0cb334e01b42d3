# The Python package (included by the top CMakeLists.txt when pybind11 is found): build/python/gradcheck/
# holds the package's Python files, the adapters it answers through (adapters/), and _gradcheck, the
# judge compiled with pybind11 over the same library and commands as the gradcheck executable.
pybind11_add_module(gradcheck_python MODULE ${CMAKE_CURRENT_SOURCE_DIR}/src/python/module.cpp)
set(gradcheck_python_dir ${CMAKE_CURRENT_BINARY_DIR}/python/gradcheck)
set_target_properties(gradcheck_python PROPERTIES OUTPUT_NAME _gradcheck LIBRARY_OUTPUT_DIRECTORY ${gradcheck_python_dir})
target_compile_options(gradcheck_python PRIVATE ${light_optimization})
# Not gradcheck_commands' RapidCheck (a static library built without -fPIC): the objects that need it
# (the fuzzer, --shrink's search) stay out, and module.cpp says --shrink is not available in process.
target_link_libraries(gradcheck_python PRIVATE gradcheck_commands gradcheck_warnings)

# Copied at configure time; CMake configures again when one of them changes.
file(GLOB gradcheck_python_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/python/gradcheck/*.py)
foreach(file IN LISTS gradcheck_python_files)
  get_filename_component(name ${file} NAME)
  configure_file(${file} ${gradcheck_python_dir}/${name} COPYONLY)
endforeach()
foreach(name gradcheck_adapter gradcheck_model gradcheck_watch gradcheck_torch gradcheck_ex4 gradcheck_ex4_load gradcheck_nograd)
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/src/adapters/python/${name}.py ${gradcheck_python_dir}/adapters/${name}.py COPYONLY)
endforeach()
