# Sourced by the scripts: Open MPI settings for running on a workstation or CI container.
# Open MPI refuses to run as root unless told; CI containers run as root.
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Let a 2-core laptop or CI box start 2+ ranks; quiet the shared-memory CMA warning in containers.
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
