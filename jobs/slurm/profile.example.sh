# Example site profile: copy, edit, and point HERMES_PROFILE at it.
# module load gcc/12 openmpi/4.1 hdf5/1.14-mpi cuda/12.4 cudnn/9 nccl/2.21
# spack env activate /path/to/hermes   # alternatively, the spack.yaml environment
# export NCCL_IB_HCA=mlx5              # fabric settings for multi-node NCCL
