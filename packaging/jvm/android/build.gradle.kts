// The AAR: the uniffi Kotlin bindings (generated, plus the hand-written extensions of
// bindings-uniffi/kotlin/src/main/kotlin) and libpolypay_uniffi.so for each ABI in jni/<abi>/,
// where Android's loader (and so JNA's Native.load) finds it. JNA itself comes as its @aar, which
// carries JNA's own per-ABI libjnidispatch.so. See bindings-uniffi/kotlin/README.md.
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
    `maven-publish`
    signing
}

// The workspace version ([workspace.package] of Cargo.toml), passed by the workflow.
val polypayVersion: String = providers.gradleProperty("polypayVersion").orNull
    ?: error("pass -PpolypayVersion=<workspace version>")
group = "io.polypay"
version = polypayVersion

android {
    namespace = "io.polypay"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].apply {
        java.srcDirs(
            layout.buildDirectory.dir("generated/uniffi"),
            "../../../bindings-uniffi/kotlin/src/main/kotlin",
        )
        jniLibs.srcDirs(layout.buildDirectory.dir("jniLibs"))
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    publishing {
        singleVariant("release") {
            withSourcesJar()
            withJavadocJar()
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    // Same versions as bindings-uniffi/kotlin/pom.xml.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}

publishing {
    publications {
        register<MavenPublication>("release") {
            artifactId = "polypay-android"
            afterEvaluate { from(components["release"]) }
            pom {
                name.set("polypay (Android)")
                description.set("Android library of polypay, the PayCore and ecommpay payment SDK (a Rust core through uniffi, loaded with JNA)")
                url.set("https://example.invalid/polypay")
                licenses {
                    license { name.set("MIT License"); url.set("https://opensource.org/licenses/MIT") }
                    license { name.set("Apache License, Version 2.0"); url.set("https://www.apache.org/licenses/LICENSE-2.0.txt") }
                }
                developers { developer { name.set("The polypay developers"); url.set("https://example.invalid/polypay") } }
                scm {
                    url.set("https://example.invalid/polypay")
                    connection.set("scm:git:https://example.invalid/polypay.git")
                }
            }
        }
    }
    repositories {
        maven {
            name = "dist"
            url = uri(layout.buildDirectory.dir("repo"))
        }
    }
}

// Signed in the publish job (the bundle is signed there with gpg); here only when a key is given.
signing {
    val key = providers.environmentVariable("SIGNING_KEY").orNull
    if (key != null) {
        useInMemoryPgpKeys(key, providers.environmentVariable("SIGNING_PASSWORD").orNull)
        sign(publishing.publications["release"])
    }
}
