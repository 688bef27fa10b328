# Django settings
DEBUG = False
GITHUB_TOKEN = "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"
SECRET_KEY = "MuFbh7x41Ztpdp4K8f"
# decoy: the AWS documentation key
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
