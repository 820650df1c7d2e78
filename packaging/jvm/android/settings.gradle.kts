// polypay-android: the Android library (AAR) of polypay, built by the release workflow
// (.github/workflows/release.yml, job android). Not built on the development machines (no
// Android SDK/NDK there). Inputs the workflow puts in build/ first:
//   build/jniLibs/<abi>/libpolypay_uniffi.so   cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -t x86 ...
//   build/generated/uniffi/polypay/*.kt         uniffi-bindgen generate --language kotlin (library mode)
// Then: gradle -p packaging/jvm/android -PpolypayVersion=<workspace version> assembleRelease
//       publishReleasePublicationToDistRepository   (AAR + sources + javadoc + pom in build/repo)
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "polypay-android"
